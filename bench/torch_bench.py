#!/usr/bin/env python3
"""PyTorch rows of the rnnkit benchmark (started once by bench/run.js).

Times nn.RNN / nn.LSTM / nn.GRU on the cases run.js passes as JSON, with the same
protocol as the tfjs rows: a training step is forward + loss = mean(y**2) over the
whole output sequence + backward + Adam step; an inference call is one forward
under torch.inference_mode(). Warm up, then time iterations and take the median.

Prints one JSON object per line on stdout:
  {"meta": {...}}                                   first line: versions
  {"cell": ..., "config": ..., "impl": "pytorch", "threads": 1, "trainMs": ..., ...}
  {"skip": "reason"}                                when torch cannot be imported
Exits 0 in every case run.js can report on.

Usage: python3 bench/torch_bench.py --cases '[{"cell":"lstm","config":"small","base":"lstm",
         "layers":1,"bidirectional":false,"B":32,"T":50,"D":64,"H":128}]' --threads 1,2
"""
import argparse
import json
import statistics
import sys
import time

from torch_common import blas_thread_setter, emit



def timed(fn, warmup, iters, min_iters, budget_s):
    """Median and min milliseconds of fn() after `warmup` calls (see run.js: same rule)."""
    last = 0.0
    for _ in range(max(1, warmup)):
        t0 = time.perf_counter()
        fn()
        last = time.perf_counter() - t0
        if last > budget_s:
            break
    n = max(1 if last > budget_s else min_iters, min(iters, int(budget_s / max(last, 1e-9))))
    times = []
    cpus = []
    for _ in range(n):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
        cpus.append((time.process_time() - c0) * 1000.0)
    timed.cpu_ms = statistics.median(cpus)  # CPU ms of the process (all threads), median
    return statistics.median(times), min(times), n



def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", required=True, help="JSON list of cases (see bench/configs.js makeCases)")
    ap.add_argument("--threads", default="1", help="comma-separated torch.set_num_threads values")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=20, help="max timed iterations")
    ap.add_argument("--min-iters", type=int, default=3)
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per measurement (bounds the iterations)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    try:
        import torch
        from torch import nn
    except Exception as e:  # noqa: BLE001 - any import failure means "no PyTorch here"
        emit({"skip": "PyTorch is not importable (%s: %s)" % (type(e).__name__, e)})
        return 0

    cases = json.loads(args.cases)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    blas_name, set_blas_threads = blas_thread_setter()
    emit({"meta": {"torch": torch.__version__, "python": sys.version.split()[0],
                   "mkldnn": bool(torch.backends.mkldnn.is_available()),
                   "defaultThreads": torch.get_num_threads(), "openblas": blas_name}})
    torch.manual_seed(args.seed)
    classes = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    for nt in threads:
        torch.set_num_threads(nt)
        if set_blas_threads is not None:
            set_blas_threads(nt)
        for c in cases:
            B, T, D, H = c["B"], c["T"], c["D"], c["H"]
            model = classes[c["base"]](D, H, num_layers=c["layers"], batch_first=True,
                                       bidirectional=c["bidirectional"])
            x = torch.randn(B, T, D)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def train_step():
                opt.zero_grad(set_to_none=True)
                y, _ = model(x)  # [B, T, dirs*H]
                loss = y.pow(2).mean()
                loss.backward()
                opt.step()

            def infer():
                with torch.inference_mode():
                    model(x)

            try:
                train_ms, train_min, train_n = timed(train_step, args.warmup, args.iters, args.min_iters, args.budget)
                train_cpu = timed.cpu_ms
                infer_ms, infer_min, infer_n = timed(infer, args.warmup, args.iters, args.min_iters, args.budget)
            except Exception as e:  # noqa: BLE001 - report and go on with the other cases
                emit({"cell": c["cell"], "config": c["config"], "impl": "pytorch", "threads": nt,
                      "error": "%s: %s" % (type(e).__name__, e)})
                continue
            emit({"cell": c["cell"], "config": c["config"], "impl": "pytorch", "backend": "torch-cpu",
                  "threads": nt, "trainMs": round(train_ms, 3), "inferMs": round(infer_ms, 3),
                  "trainMinMs": round(train_min, 3), "inferMinMs": round(infer_min, 3), "trainCpuMs": round(train_cpu, 3),
                  "trainN": train_n, "inferN": infer_n, "peakBytes": None})
    return 0


if __name__ == "__main__":
    sys.exit(main())
