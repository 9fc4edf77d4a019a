#!/usr/bin/env python3
"""PyTorch rows of bench/task_sentiment.js: the sentiment model's shape in PyTorch.

Same model as tasks/sentiment/model.ts (default options): word embedding
(padding_idx 0), dropout, a BiLSTM over the sentence (packed by length), max over
the real steps, dropout, a linear layer, cross-entropy, Adam. The batches are the
very ones the tfjs rows use (token ids, lengths, labels), read from the JSON file
task_sentiment.js writes. Times every batch once after a warm-up over the first
batches; reports examples per second of wall and CPU time.

Prints one JSON object per line: {"meta": ...}, then one {"impl": "pytorch",
"threads": n, ...} per thread count, or {"skip": reason} when torch cannot be
imported. Always exits 0.

Usage: python3 bench/torch_sentiment.py --batches FILE --threads 1,2
"""
import argparse
import json
import sys
import time

from torch_common import emit, set_threads




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    try:
        import torch
        import torch.nn as nn
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    except Exception as e:  # noqa: BLE001
        emit({"skip": f"torch not importable ({e.__class__.__name__}: {e})"})
        return
    spec = json.load(open(args.batches))
    shape, sizes, batches = spec["shape"], spec["sizes"], spec["batches"]
    emit({"meta": {"torch": torch.__version__, "python": sys.version.split()[0], "batches": len(batches)}})

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            dirs = 2 if shape["bidirectional"] else 1
            self.emb = nn.Embedding(sizes["words"], shape["embeddingDim"], padding_idx=0)
            self.drop = nn.Dropout(shape["dropout"])
            self.rnn = nn.LSTM(shape["embeddingDim"], shape["hidden"], num_layers=shape["layers"], batch_first=True,
                               bidirectional=shape["bidirectional"], dropout=shape["dropout"] if shape["layers"] > 1 else 0.0)
            self.out = nn.Linear(dirs * shape["hidden"], sizes["labels"])

        def forward(self, ids, lengths):
            x = self.drop(self.emb(ids))
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            y, _ = self.rnn(packed)
            y, _ = pad_packed_sequence(y, batch_first=True, total_length=ids.shape[1], padding_value=float("-inf"))
            return self.out(self.drop(y.max(dim=1).values))

    tensors = [(torch.tensor(b["ids"], dtype=torch.long), torch.tensor(b["lengths"], dtype=torch.long), torch.tensor(b["labels"], dtype=torch.long))
               for b in batches]
    timed = tensors[args.warmup:]
    examples = sum(len(t[2]) for t in timed)
    for threads in [int(t) for t in args.threads.split(",") if t]:
        set_threads(torch, threads)
        torch.manual_seed(1)
        model = Classifier()
        opt = torch.optim.Adam(model.parameters(), lr=shape["lr"])
        loss_fn = nn.CrossEntropyLoss()

        def step(t):
            ids, lengths, y = t
            opt.zero_grad()
            loss = loss_fn(model(ids, lengths), y)
            loss.backward()
            opt.step()

        model.train()
        for t in tensors[: args.warmup]:
            step(t)
        t0, c0 = time.perf_counter(), time.process_time()
        for t in timed:
            step(t)
        train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
        emit({"impl": "pytorch", "threads": threads, "examples": examples,
              "trainExamplesPerSec": examples / train_s, "trainExamplesPerCpuSec": examples / train_cpu,
              "trainMsPerBatch": 1000 * train_s / len(timed)})


if __name__ == "__main__":
    main()
