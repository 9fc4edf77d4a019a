"""The twin's outputs for given inputs (what rnn-export --verify and the tests compare).

    python3 forward.py --inputs batch.json [--weights model.safetensors]   -> {"logits": [...]}
    python3 forward.py --split dev [--weights trained.safetensors]         -> {"predictions": [...]}

batch.json holds the model's inputs by name (sentiment: token_ids [B, T]; pos:
word_ids [B, T], char_ids [N, L], word_rows [B, T]). --split gives the argmax
label (sentiment) or tag ids of the real tokens (pos) of every example, in order.
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
from train import load_model, load_spec  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--weights', default=os.path.join(HERE, 'model.safetensors'))
    p.add_argument('--inputs')
    p.add_argument('--split')
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    spec = load_spec()
    model = load_model(spec, a.weights).eval()
    with torch.no_grad():
        if a.inputs:
            with open(a.inputs, encoding='utf-8') as f:
                batch = json.load(f)
            args = [torch.tensor(batch[n], dtype=torch.long) for n in model.input_names]
            print(json.dumps({'logits': model(*args).tolist()}))
            return
        split = data.load_split(HERE, a.split)
        out = [None] * data.size(spec['task'], split)
        for index, inputs, _ in data.batches(spec, split, 64):
            pred = model(*[inputs[n] for n in model.input_names]).argmax(-1).tolist()
            for r, i in enumerate(index):
                out[i] = pred[r] if spec['task'] == 'sentiment' else pred[r][:len(split['words'][i])]
        print(json.dumps({'predictions': out}))


if __name__ == '__main__':
    main()
