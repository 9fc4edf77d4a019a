"""The exported data: rnnkit's reader and encoder ran at export time (the
checkpoint's vocabulary, labels and tags), so each split is already ids:

- sentiment: data/<split>.json = {"seqs": [[token ids]], "ys": [label id, -1 if unseen]}
- pos:       data/<split>.json = {"words": [[word ids]], "chars": [[[char ids] per word]],
             "tags": [[tag id, -1 if unseen]]}

Batches are bucketed by length (seeded), padded with 0, and built like the task's
own batches (pos: the batch's distinct words listed once for the character encoder).
"""
import json
import os
import random

import torch


def load_split(root, split):
    path = os.path.join(root, 'data', f'{split}.json')
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def size(task, split):
    return len(split['seqs'] if task == 'sentiment' else split['words'])


def bucketed(lengths, batch_size, seed=None):
    """Index batches of similar length: seeded shuffle, sort by length in windows of 50 batches, shuffled batch order."""
    idx = list(range(len(lengths)))
    if seed is None:
        idx.sort(key=lambda i: lengths[i])
        return [idx[i:i + batch_size] for i in range(0, len(idx), batch_size)]
    rng = random.Random(seed)
    rng.shuffle(idx)
    window = batch_size * 50
    out = []
    for w in range(0, len(idx), window):
        part = sorted(idx[w:w + window], key=lambda i: lengths[i])
        out += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(out)
    return out


def _pad(rows, fill=0):
    width = max(1, max((len(r) for r in rows), default=1))
    return [list(r) + [fill] * (width - len(r)) for r in rows]


def sentiment_batch(split, index, word_dropout=0.0, rng=None):
    seqs = [split['seqs'][i] or [1] for i in index]
    if word_dropout > 0:
        seqs = [[1 if t > 1 and rng.random() < word_dropout else t for t in s] for s in seqs]
    inputs = {'token_ids': torch.tensor(_pad(seqs), dtype=torch.long)}
    return inputs, torch.tensor([split['ys'][i] for i in index], dtype=torch.long)


def pos_batch(split, index, with_chars, word_dropout=0.0, rng=None):
    words, rows, tags = [], [], []
    table = [[]]
    seen = {}
    for i in index:
        ids = list(split['words'][i])
        if word_dropout > 0:
            ids = [1 if t > 1 and rng.random() < word_dropout else t for t in ids]
        words.append(ids)
        tags.append(split['tags'][i])
        r = []
        for cs in split['chars'][i]:
            key = tuple(cs)
            if key not in seen:
                seen[key] = len(table)
                table.append(cs)
            r.append(seen[key])
        rows.append(r)
    inputs = {'word_ids': torch.tensor(_pad(words), dtype=torch.long)}
    if with_chars:
        inputs['char_ids'] = torch.tensor(_pad(table), dtype=torch.long)
        inputs['word_rows'] = torch.tensor(_pad(rows), dtype=torch.long)
    return inputs, torch.tensor(_pad(tags, -1), dtype=torch.long)


def batches(spec, split, batch_size, seed=None, word_dropout=0.0):
    """(example indices, inputs by model input name, targets) for every batch of a split;
    seed None: in length order, no word dropout (evaluation)."""
    rng = random.Random((seed or 0) * 7919 + 17)
    if spec['task'] == 'sentiment':
        groups = bucketed([len(s) for s in split['seqs']], batch_size, seed)
        return [(b, *sentiment_batch(split, b, word_dropout, rng)) for b in groups]
    with_chars = spec['model']['charDim'] > 0
    groups = bucketed([len(s) for s in split['words']], batch_size, seed)
    return [(b, *pos_batch(split, b, with_chars, word_dropout, rng)) for b in groups]
