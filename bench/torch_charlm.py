#!/usr/bin/env python3
"""PyTorch rows of bench/task_charlm.js: the char LM's shape in PyTorch.

Same model as tasks/charlm/model.ts: nn.Embedding(V, E) → nn.LSTM/GRU(E, H,
num_layers, batch_first) from the carried states → nn.Linear(H, V) →
cross-entropy over all B·T positions → backward → Adam; the final states are
detached and carried into the next step (truncated BPTT). Random ids (speed does
not depend on them). Times `--steps` steps after a warm-up; chars per second of
wall and CPU time.

Prints one JSON object per line: {"meta": ...}, then one {"threads": n,
"trainCharsPerSec": ..., "trainCharsPerCpuSec": ..., "inferCharsPerSec": ...,
"trainMsPerStep": ...} per thread count, or {"skip": reason} when torch cannot be
imported. Always exits 0.

Usage: python3 bench/torch_charlm.py --shape '{"layers":1,"hidden":128,"embeddingDim":64,"cell":"lstm","B":64,"T":100,"V":65}'
"""
import argparse
import json
import sys
import time

from torch_common import emit, set_threads




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    try:
        import torch
        import torch.nn as nn
    except Exception as e:  # noqa: BLE001
        emit({"skip": f"torch not importable ({e.__class__.__name__}: {e})"})
        return
    s = json.loads(args.shape)
    B, T, V = s["B"], s["T"], s["V"]
    emit({"meta": {"torch": torch.__version__, "python": sys.version.split()[0]}})

    class CharLm(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, s["embeddingDim"])
            rnn = nn.LSTM if s["cell"] == "lstm" else nn.GRU
            self.rnn = rnn(s["embeddingDim"], s["hidden"], num_layers=s["layers"], batch_first=True)
            self.out = nn.Linear(s["hidden"], V)

        def forward(self, x, state):
            y, state = self.rnn(self.emb(x), state)
            return self.out(y), state

    def zero_state():
        z = torch.zeros(s["layers"], B, s["hidden"])
        return (z, z.clone()) if s["cell"] == "lstm" else z

    def detach(state):
        return tuple(t.detach() for t in state) if isinstance(state, tuple) else state.detach()

    g = torch.Generator().manual_seed(1)
    data = [torch.randint(0, V, (B, T + 1), generator=g) for _ in range(args.warmup + args.steps)]
    chars = args.steps * B * T
    for threads in [int(t) for t in args.threads.split(",") if t]:
        set_threads(torch, threads)
        torch.manual_seed(1)
        model = CharLm()
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        loss_fn = nn.CrossEntropyLoss()
        state = zero_state()

        def step(d):
            nonlocal state
            opt.zero_grad()
            logits, new_state = model(d[:, :-1], state)
            loss = loss_fn(logits.reshape(-1, V), d[:, 1:].reshape(-1))
            loss.backward()
            opt.step()
            state = detach(new_state)
            return loss.item()

        def infer(d):
            nonlocal state
            with torch.inference_mode():
                logits, state = model(d[:, :-1], state)
            return logits

        def timed(fn):
            for d in data[: args.warmup]:
                fn(d)
            t0, c0 = time.perf_counter(), time.process_time()
            for d in data[args.warmup:]:
                fn(d)
            return time.perf_counter() - t0, time.process_time() - c0

        model.train()
        tr, tr_cpu = timed(step)
        state = zero_state()
        inf, _ = timed(infer)
        emit({"threads": threads, "trainCharsPerSec": chars / tr, "trainCharsPerCpuSec": chars / tr_cpu,
              "inferCharsPerSec": chars / inf, "trainMsPerStep": 1000 * tr / args.steps})


if __name__ == "__main__":
    main()
