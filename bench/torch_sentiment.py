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
from torch_common import emit, replay_peer, set_threads, timed


def main():
    started = replay_peer()
    if started is None:
        return
    args, torch, spec = started
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    shape, sizes, batches = spec["shape"], spec["sizes"], spec["batches"]

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
    measured = tensors[args.warmup:]
    examples = sum(len(t[2]) for t in measured)
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
        train_s, train_cpu = timed(step, tensors[: args.warmup], measured)
        emit({"impl": "pytorch", "threads": threads, "examples": examples,
              "trainExamplesPerSec": examples / train_s, "trainExamplesPerCpuSec": examples / train_cpu,
              "trainMsPerBatch": 1000 * train_s / len(measured)})


if __name__ == "__main__":
    main()
