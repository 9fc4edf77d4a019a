#!/usr/bin/env python3
"""PyTorch rows of bench/task_pos.js: the POS tagger's model shape in PyTorch.

Same model as tasks/pos/model.ts: word embedding (padding_idx 0) ++ a character
BiLSTM over the distinct words of the batch (packed by length) looked up per
token, a stacked BiLSTM over the sentence (packed by length), dropout, a linear
layer, cross-entropy over real tokens only (ignore_index -1), Adam. The batches
are the very ones the tfjs rows use (word ids, char ids, rows, tags, lengths),
read from the JSON file task_pos.js writes.

A training step is forward + loss + backward + Adam step; inference is one
forward under torch.inference_mode(). Times every batch once after a warm-up
pass over the first batches; reports tokens per second.

Prints one JSON object per line: {"meta": ...}, then one {"impl": "pytorch",
"threads": n, "trainTokensPerSec": ..., "inferTokensPerSec": ...} per thread
count, or {"skip": reason} when torch cannot be imported. Always exits 0.

Usage: python3 bench/torch_pos.py --batches FILE --threads 1,2
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

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.word = nn.Embedding(sizes["words"], shape["wordDim"], padding_idx=0)
            self.char = nn.Embedding(sizes["chars"], shape["charDim"], padding_idx=0)
            self.char_rnn = nn.LSTM(shape["charDim"], shape["charHidden"], batch_first=True, bidirectional=True)
            self.drop = nn.Dropout(shape["dropout"])
            self.rnn = nn.LSTM(shape["wordDim"] + 2 * shape["charHidden"], shape["hidden"], num_layers=shape["layers"],
                               batch_first=True, bidirectional=True, dropout=shape["dropout"] if shape["layers"] > 1 else 0.0)
            self.out = nn.Linear(2 * shape["hidden"], sizes["tags"])

        def forward(self, word_ids, char_ids, char_len, rows, lengths):
            # Characters: the distinct words (row 0 is padding, length 0: packed without it).
            c = self.char(char_ids[1:])
            packed = pack_padded_sequence(c, char_len[1:], batch_first=True, enforce_sorted=False)
            _, (h, _) = self.char_rnn(packed)  # h [2, N-1, C]
            char_vec = torch.cat([h[0], h[1]], dim=1)
            char_vec = torch.cat([torch.zeros(1, char_vec.shape[1]), char_vec], dim=0)  # row 0 = padding
            x = torch.cat([self.word(word_ids), char_vec[rows]], dim=2)
            x = self.drop(x)
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            y, _ = self.rnn(packed)
            y, _ = pad_packed_sequence(y, batch_first=True, total_length=word_ids.shape[1])
            return self.out(self.drop(y))

    tensors = []
    for b in batches:
        char_ids = torch.tensor(b["charIds"], dtype=torch.long)
        tensors.append((
            torch.tensor(b["wordIds"], dtype=torch.long),
            char_ids,
            (char_ids != 0).sum(dim=1),
            torch.tensor(b["wordRows"], dtype=torch.long),
            torch.tensor(b["lengths"], dtype=torch.long),
            torch.tensor(b["tags"], dtype=torch.long),
        ))
    tokens = sum(sum(b["lengths"]) for b in batches)
    for threads in [int(t) for t in args.threads.split(",") if t]:
        set_threads(torch, threads)
        torch.manual_seed(1)
        model = Tagger()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss(ignore_index=-1)

        def step(t):
            w, c, cl, r, l, y = t
            opt.zero_grad()
            logits = model(w, c, cl, r, l)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            loss.backward()
            opt.step()

        model.train()
        train_s, train_cpu = timed(step, tensors[: args.warmup], tensors)
        model.eval()
        with torch.inference_mode():
            infer_s, _ = timed(lambda t: model(*t[:5]), tensors[: args.warmup], tensors)
        emit({"impl": "pytorch", "threads": threads, "tokens": tokens,
              "trainTokensPerSec": tokens / train_s, "trainTokensPerCpuSec": tokens / train_cpu, "inferTokensPerSec": tokens / infer_s,
              "trainMsPerBatch": 1000 * train_s / len(tensors), "inferMsPerBatch": 1000 * infer_s / len(tensors)})


if __name__ == "__main__":
    main()
