"""PyTorch twin of bench/convlstm.js: the training step of the same ConvLSTM on CPU.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_convlstm.py [--threads 1] [--rounds 5] [--json]

Same model and step as the tfjs benchmark: B 8, T 10, 16x16x16 frames, 64 filters, 3x3
'same' convolutions (input and recurrent, Keras ConvLSTM2D equations, sigmoid gates, gate
order i, f, c, o), returnSequences output, loss mean((y - target)^2), backward, Adam.
PyTorch has no ConvLSTM module, so the cell is the usual two nn.Conv2d (input with bias,
recurrent without) in a Python loop over time, channels-first as PyTorch convolutions
want. Prints the median step time (wall and process CPU) and the peak RSS; asserts nothing.
"""
import argparse
import json
import os
import resource
import time

import torch
import torch.nn as nn


class ConvLSTM(nn.Module):
    def __init__(self, cin, filters, k):
        super().__init__()
        self.filters = filters
        self.input_conv = nn.Conv2d(cin, 4 * filters, k, padding=k // 2)
        self.recurrent_conv = nn.Conv2d(filters, 4 * filters, k, padding=k // 2, bias=False)

    def forward(self, x):  # x [B, T, C, H, W]
        b, t, _, h, w = x.shape
        zx = self.input_conv(x.reshape(b * t, *x.shape[2:])).reshape(b, t, 4 * self.filters, h, w)
        hs = x.new_zeros(b, self.filters, h, w)
        cs = torch.zeros_like(hs)
        ys = []
        for step in range(t):
            z = zx[:, step] + self.recurrent_conv(hs)
            i, f, g, o = z.chunk(4, dim=1)
            cs = torch.sigmoid(f) * cs + torch.sigmoid(i) * torch.tanh(g)
            hs = torch.sigmoid(o) * torch.tanh(cs)
            ys.append(hs)
        return torch.stack(ys, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    env = lambda k, d: int(os.environ.get(k, d))
    B, T, S, C, F, K = env("B", 8), env("T", 10), env("S", 16), env("C", 16), env("F", 64), env("K", 3)
    model = ConvLSTM(C, F, K)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(B, T, C, S, S)
    target = torch.rand(B, T, F, S, S) - 0.5

    def step():
        opt.zero_grad()
        loss = torch.mean((model(x) - target) ** 2)
        loss.backward()
        opt.step()
        return loss.item()

    step()
    times, cpu = [], []
    for _ in range(a.rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    ms = sorted(times)[len(times) // 2]
    cpu_ms = sorted(cpu)[len(cpu) // 2]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = {"impl": f"PyTorch {torch.__version__} ({a.threads} thread{'s' if a.threads > 1 else ''})", "msPerStep": ms, "cpuMsPerStep": cpu_ms, "maxRssMB": rss_mb}
    if a.json:
        print(json.dumps(row))
    else:
        print(f"{row['impl']}: {ms:.0f} ms/step, {cpu_ms:.0f} CPU ms/step (medians of {a.rounds}), peak RSS {rss_mb:.0f} MB; B {B}, T {T}, {S}x{S}x{C} -> {F} filters {K}x{K}")


if __name__ == "__main__":
    main()
