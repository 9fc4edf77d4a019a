#!/usr/bin/env python3
"""The translate task's encoder-decoder in PyTorch, for bench/task_translate.js.

Same shapes and computation as tasks/translate/model.ts: embeddings, a 1-layer
bidirectional encoder, a tanh bridge from [forward; reverse] final states to the
decoder's initial state, a decoder, attention (Luong 'general' on top of the whole
decoder output for 'luong' and 'input-feeding'; additive with the previous state as
query for 'bahdanau'), h~ = tanh(Wc [h; context]), output logits, label-smoothed
cross-entropy, Adam. 'luong' runs nn.GRU/LSTM over the whole target (cuDNN-style
fused call); the other two run a cell in a Python loop.

Prints one JSON line per (decoder, threads): median wall and CPU ms of a training
step and of greedy / beam-5 decoding of one batch (beam as a batched loop).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_common import set_threads




class Seq2Seq(nn.Module):
    def __init__(self, a, decoder):
        super().__init__()
        H, E = a.hidden, a.embedding
        rnn = nn.GRU if a.cell == 'gru' else nn.LSTM
        cell = nn.GRUCell if a.cell == 'gru' else nn.LSTMCell
        self.decoder_kind, self.lstm, self.H = decoder, a.cell == 'lstm', H
        self.src_emb = nn.Embedding(a.src_vocab, E)
        self.tgt_emb = nn.Embedding(a.tgt_vocab, E)
        self.encoder = rnn(E, H, batch_first=True, bidirectional=True)
        self.bridges = nn.ModuleList([nn.Linear(2 * H, H) for _ in range(2 if self.lstm else 1)])
        feed = {'luong': 0, 'input-feeding': H, 'bahdanau': 2 * H}[decoder]
        if decoder == 'luong':
            self.decoder = rnn(E, H, batch_first=True)
        else:
            self.cell = cell(E + feed, H)
        if decoder == 'bahdanau':
            self.wq = nn.Linear(H, H, bias=False)
            self.wk = nn.Linear(2 * H, H, bias=False)
            self.v = nn.Linear(H, 1, bias=False)
        else:
            self.w = nn.Linear(2 * H, H, bias=False)
        self.combine = nn.Linear(3 * H, H, bias=False)
        self.out = nn.Linear(H, a.tgt_vocab)
        self.drop = nn.Dropout(0.3)

    def encode(self, src):
        mem, fin = self.encoder(self.drop(self.src_emb(src)))
        states = fin if self.lstm else (fin,)
        init = [torch.tanh(b(torch.cat([s[0], s[1]], 1))) for b, s in zip(self.bridges, states)]
        keys = self.wk(mem) if self.decoder_kind == 'bahdanau' else self.w(mem)
        return mem, keys, init

    def attend(self, q, mem, keys):  # q [B, T, H]
        if self.decoder_kind == 'bahdanau':
            scores = self.v(torch.tanh(self.wq(q).unsqueeze(2) + keys.unsqueeze(1))).squeeze(-1)
        else:
            scores = torch.bmm(q, keys.transpose(1, 2))
        w = torch.softmax(scores, -1)
        return torch.bmm(w, mem), w

    def head(self, h, ctx):
        a = torch.tanh(self.combine(torch.cat([h, ctx], -1)))
        return a, self.out(self.drop(a))

    def forward(self, src, tgt_in):
        mem, keys, init = self.encode(src)
        x = self.drop(self.tgt_emb(tgt_in))
        if self.decoder_kind == 'luong':
            h0 = (init[0].unsqueeze(0), init[1].unsqueeze(0)) if self.lstm else init[0].unsqueeze(0)
            h, _ = self.decoder(x, h0)
            ctx, _ = self.attend(h, mem, keys)
            return self.head(h, ctx)[1]
        state = (init[0], init[1]) if self.lstm else init[0]
        feed = torch.zeros(src.shape[0], self.H)
        logits = []
        for t in range(x.shape[1]):
            top = state[0] if self.lstm else state
            logit, state, feed = self.step(x[:, t], state, feed, mem, keys, top)
            logits.append(logit)
        return torch.stack(logits, 1)

    def step(self, e, state, feed, mem, keys, top):
        if self.decoder_kind == 'bahdanau':
            ctx, _ = self.attend(top.unsqueeze(1), mem, keys)
            inp = torch.cat([e, ctx.squeeze(1)], -1)
        elif self.decoder_kind == 'input-feeding':
            inp = torch.cat([e, feed], -1)
        else:
            inp = e
        state = self.cell(inp, state)
        h = state[0] if self.lstm else state
        if self.decoder_kind != 'bahdanau':
            ctx, _ = self.attend(h.unsqueeze(1), mem, keys)
        a, logit = self.head(h, ctx.squeeze(1))
        return logit, state, a


def decode(model, src, steps, beam):
    """Greedy (beam 1) or batched beam search over a fixed number of steps (the cost, not the choices)."""
    with torch.inference_mode():
        model.eval()
        mem, keys, init = model.encode(src)
        B = src.shape[0]
        if beam > 1:
            idx = torch.arange(B).repeat_interleave(beam)
            mem, keys, init = mem[idx], keys[idx], [s[idx] for s in init]
        rows = mem.shape[0]
        state = (init[0], init[1]) if model.lstm else init[0]
        feed = torch.zeros(rows, model.H)
        tok = torch.full((rows,), 2, dtype=torch.long)
        scores = torch.zeros(rows)
        for _ in range(steps):
            e = model.tgt_emb(tok)
            if model.decoder_kind == 'luong':  # the whole-sequence decoder, one step at a time
                hx = (state[0].unsqueeze(0), state[1].unsqueeze(0)) if model.lstm else state.unsqueeze(0)
                out, hn = model.decoder(e.unsqueeze(1), hx)
                state = (hn[0][0], hn[1][0]) if model.lstm else hn[0]
                h = out[:, 0]
                ctx, _ = model.attend(h.unsqueeze(1), mem, keys)
                feed, logit = model.head(h, ctx.squeeze(1))
            else:
                logit, state, feed = model.step(e, state, feed, mem, keys, state[0] if model.lstm else state)
            lp = torch.log_softmax(logit, -1)
            if beam == 1:
                tok = lp.argmax(-1)
            else:
                total = (scores.unsqueeze(1) + lp).view(B, -1)
                v, i = total.topk(2 * beam, -1)
                V = lp.shape[1]
                parent = (i[:, :beam] // V + torch.arange(B).unsqueeze(1) * beam).reshape(-1)
                tok = (i[:, :beam] % V).reshape(-1)
                scores = v[:, :beam].reshape(-1)
                state = (state[0][parent], state[1][parent]) if model.lstm else state[parent]
                feed = feed[parent]
        model.train()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--decoders', default='luong,input-feeding,bahdanau')
    for k, v in [('batch', 64), ('src-len', 13), ('tgt-len', 15), ('src-vocab', 7855), ('tgt-vocab', 5927), ('hidden', 256), ('embedding', 256), ('iters', 5), ('warmup', 2)]:
        p.add_argument(f'--{k}', type=int, default=v)
    p.add_argument('--cell', default='gru')
    p.add_argument('--threads', default='1,2')
    a = p.parse_args()
    torch.manual_seed(1)
    B, S, T = a.batch, a.src_len, a.tgt_len
    src = torch.randint(4, a.src_vocab, (B, S))
    tgt_in = torch.randint(4, a.tgt_vocab, (B, T))
    tgt_out = torch.randint(4, a.tgt_vocab, (B, T))
    for threads in [int(t) for t in a.threads.split(',')]:
        set_threads(torch, threads)
        for decoder in a.decoders.split(','):
            model = Seq2Seq(a, decoder)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def step():
                opt.zero_grad()
                logits = model(src, tgt_in)
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), label_smoothing=0.1)
                loss.backward()
                opt.step()

            def timed(fn, n):
                wall, cpu = [], []
                for _ in range(n):
                    c0, t0 = time.process_time(), time.perf_counter()
                    fn()
                    wall.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
                return sorted(wall)[len(wall) // 2], sorted(cpu)[len(cpu) // 2]

            for _ in range(a.warmup):
                step()
            wall, cpu = timed(step, a.iters)
            gw, gc = timed(lambda: decode(model, src, T, 1), 1)
            bw, bc = timed(lambda: decode(model, src, T, 5), 1)
            print(json.dumps({
                'impl': 'pytorch', 'threads': threads, 'decoder': decoder, 'cell': a.cell, 'B': B, 'S': S, 'T': T,
                'trainMs': wall, 'trainCpuMs': cpu, 'tokensPerSec': B * T / (wall / 1000), 'tokensPerCpuSec': B * T / (cpu / 1000),
                'greedyMs': gw, 'greedyCpuMs': gc, 'beam5Ms': bw, 'beam5CpuMs': bc,
                'params': sum(q.numel() for q in model.parameters()), 'torch': torch.__version__,
            }), flush=True)


if __name__ == '__main__':
    main()
