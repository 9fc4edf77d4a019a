#!/usr/bin/env python3
"""The timeseries task's model in PyTorch, same shape and recipe, for comparison
(bench/task_timeseries.js --torch runs it with the transform, period and window
the rnnkit task chose):

  chronological split (test = last rows, validation = the rows before it), the
  transform (log / diff / seasonal-diff steps), standardization fitted on the
  training part, windows whose targets lie in one part, a one-layer LSTM whose
  last state feeds Linear(hidden -> H) (init N(0, 0.01)) plus a linear path
  Linear(W*C -> H) initialized by ridge least squares (lambda on standardized
  inputs, intercept unpenalized), MSE loss, Adam, global-norm clipping, early
  stopping on the validation RMSE in the original units.

  python3 bench/torch_timeseries.py --data ../shared/data/timeseries/airline-passengers.csv \
      --test-size 0.33 --transform log,seasonal-diff --period 12 --window 13

Prints one JSON object: test/dev RMSE of the model and of the linear path alone,
epochs, wall and CPU seconds. Univariate, one step ahead (H = 1).
"""
import argparse
import csv
import datetime
import json
import math
import time

import numpy as np
import torch


def read_series(path, column=None):
    """The target column and the step index of each row (months since year 0, or days since 1970), as rnnkit reads them."""
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    if column is None:
        numeric = [j for j in range(len(header)) if all(_isnum(r[j]) for r in body[:50])]
        column = header[numeric[-1]]
    j = header.index(column)
    steps = []
    for r in body:
        parts = [int(p) for p in r[0].split('-')]
        if len(parts) == 2:
            steps.append(parts[0] * 12 + parts[1] - 1)
        else:
            steps.append((datetime.date(*parts[:3]) - datetime.date(1970, 1, 1)).days)
    return np.array([float(r[j]) for r in body]), np.array(steps)


def _isnum(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def forward(y, steps, period):
    x = y.copy()
    for s in steps:
        if s == 'log':
            x = np.log(x)
        else:
            lag = 1 if s == 'diff' else period
            z = np.full_like(x, np.nan)
            z[lag:] = x[lag:] - x[:-lag]
            x = z
    return x


def offset(steps, period):
    return sum(1 if s == 'diff' else period if s == 'seasonal-diff' else 0 for s in steps)


def invert_one(history, z_next, steps, period):
    """The level after `history` whose transformed value is z_next (one step ahead)."""
    levels = [history]
    for s in steps:
        levels.append(forward(levels[-1], [s], period))
    v = z_next
    for k in range(len(steps) - 1, -1, -1):
        s = steps[k]
        if s == 'log':
            v = math.exp(v)
        else:
            lag = 1 if s == 'diff' else period
            v = v + levels[k][len(history) - lag]
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--target')
    ap.add_argument('--test-size', type=float, default=0.2)
    ap.add_argument('--valid-size', type=float, default=0.15)
    ap.add_argument('--transform', default='none')
    ap.add_argument('--period', type=int, default=1)
    ap.add_argument('--window', type=int, required=True)
    ap.add_argument('--season', action='store_true', help='sin/cos of the position in the period as two more channels (first column = dates)')
    ap.add_argument('--hidden', type=int, default=32)
    ap.add_argument('--epochs', type=int, default=100)
    ap.add_argument('--patience', type=int, default=15)
    ap.add_argument('--batch-size', type=int, default=32)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--clip-norm', type=float, default=1.0)
    ap.add_argument('--ridge', type=float, default=1.0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    t0, c0 = time.time(), time.process_time()

    y, step_index = read_series(a.data, a.target)
    n = len(y)
    count = lambda size, of: round(size * of) if size < 1 else int(size)
    n_test = count(a.test_size, n)
    n_valid = count(a.valid_size, n - n_test)
    train_end, valid_end = n - n_test - n_valid, n - n_test
    steps = [s for s in a.transform.split(',') if s and s != 'none']
    z = forward(y, steps, a.period)
    first = offset(steps, a.period)
    mean, std = z[first:train_end].mean(), z[first:train_end].std() or 1.0
    zs = (z - mean) / std
    W = a.window

    def origins(lo, hi):
        return list(range(max(first + W - 1, lo - 1), hi - 1))

    chans = [zs]
    if a.season:
        ang = 2 * np.pi * np.mod(step_index, a.period) / a.period
        chans += [np.sin(ang), np.cos(ang)]
    ch = np.stack(chans, axis=1)  # [n, C]
    C = ch.shape[1]

    def windows(os_):
        x = np.stack([ch[o - W + 1:o + 1] for o in os_])
        t = np.array([zs[o + 1] for o in os_])[:, None]
        return x.astype(np.float32), t.astype(np.float32)

    tr_o, va_o, te_o = origins(first, train_end), origins(train_end, valid_end), origins(valid_end, n)
    xtr, ytr = windows(tr_o)
    xva, _ = windows(va_o)
    xte, _ = windows(te_o)

    # Ridge least squares for the linear path (centered; the intercept is not penalized).
    X = xtr.reshape(len(xtr), -1).astype(np.float64)
    xm, ym = X.mean(0), ytr.mean(0)
    A = (X - xm).T @ (X - xm) + a.ridge * np.eye(X.shape[1])
    w = np.linalg.solve(A, (X - xm).T @ (ytr - ym))
    b = ym - xm @ w

    class Forecaster(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(C, a.hidden, batch_first=True)
            with torch.no_grad():  # forget-gate bias 1, as rnnkit's LSTM (PyTorch gate order i, f, g, o)
                self.lstm.bias_ih_l0.zero_()
                self.lstm.bias_hh_l0.zero_()
                self.lstm.bias_ih_l0[a.hidden:2 * a.hidden] = 1.0
            self.head = torch.nn.Linear(a.hidden, 1)
            torch.nn.init.normal_(self.head.weight, 0.0, 0.01)
            torch.nn.init.zeros_(self.head.bias)
            self.linear = torch.nn.Linear(W * C, 1)
            with torch.no_grad():
                self.linear.weight.copy_(torch.tensor(w.T, dtype=torch.float32))
                self.linear.bias.copy_(torch.tensor(b, dtype=torch.float32))

        def forward(self, x):
            h, _ = self.lstm(x)
            return self.head(h[:, -1]) + self.linear(x.flatten(1))

    model = Forecaster()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)

    def levels(os_, zhat):
        return np.array([invert_one(y[:o + 1], float(v) * std + mean, steps, a.period) for o, v in zip(os_, zhat)])

    def rmse_of(os_, pred):
        act = np.array([y[o + 1] for o in os_])
        return float(np.sqrt(np.mean((act - pred) ** 2)))

    def predict(x):
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()[:, 0]

    lin = lambda x: (x.reshape(len(x), -1) @ w + b)[:, 0]
    best, best_epoch, bad, best_state, epochs = math.inf, -1, 0, None, 0
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for epoch in range(a.epochs):
        model.train()
        perm = rng.permutation(len(xtr))
        for i in range(0, len(perm), a.batch_size):
            idx = torch.from_numpy(perm[i:i + a.batch_size])
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(xt[idx]), yt[idx])
            loss.backward()
            if a.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip_norm)
            opt.step()
        epochs = epoch + 1
        model.eval()
        dev = rmse_of(va_o, levels(va_o, predict(xva)))
        if dev < best:
            best, best_epoch, bad = dev, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if a.patience and bad >= a.patience:
                break
    model.load_state_dict(best_state)
    out = {
        'test_rmse': rmse_of(te_o, levels(te_o, predict(xte))),
        'dev_rmse': best,
        'linear_test_rmse': rmse_of(te_o, levels(te_o, lin(xte))),
        'persistence_test_rmse': rmse_of(te_o, np.array([y[o] for o in te_o])),
        'epochs': epochs,
        'best_epoch': best_epoch + 1,
        'train_windows': len(tr_o),
        'seconds': round(time.time() - t0, 2),
        'cpu_seconds': round(time.process_time() - c0, 2),
        'torch': torch.__version__,
    }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
