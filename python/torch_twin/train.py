"""Trains the exported model in PyTorch, on one process or many (DDP).

    python3 train.py [--epochs N] [--max-steps N] [--batch-size N] [--lr X] [--out FILE]
    torchrun --nproc_per_node 2 train.py ...                 (one machine, 2 processes)
    torchrun --nnodes 2 --nproc_per_node 4 --rdzv_endpoint HOST:29500 train.py ...

Under torchrun (WORLD_SIZE > 1) the processes form a DDP group: gloo on CPU, NCCL
when CUDA is available. Every epoch's batches are shuffled with the same seed in
every process and dealt round-robin (process r takes batches r, r + N, ...; the
count is cut to a multiple of N so all processes step together); DDP averages the
gradients. Process 0 evaluates dev accuracy after each epoch and writes the
weights (default trained.safetensors next to this file), which
`rnn-import --torch DIR --out DIR2` turns back into an rnnkit checkpoint.
Defaults (epochs, batch size, lr, clipping, word dropout, seed) come from the
checkpoint's config in twin.json. One JSON object per line on stdout.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import models  # noqa: E402
import safetensors_io  # noqa: E402


def load_spec(root=HERE):
    with open(os.path.join(root, 'twin.json'), encoding='utf-8') as f:
        return json.load(f)


def load_model(spec, weights):
    model = models.build(spec)
    tensors, _ = safetensors_io.load(weights)
    model.load_state_dict(tensors, strict=True)
    return model


def loss_of(spec, logits, targets):
    k = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, k), targets.reshape(-1), ignore_index=-1)


def accuracy(spec, model, split, batch_size):
    """Accuracy over examples (sentiment) or real tokens (pos); targets -1 count as wrong."""
    model.eval()
    right = total = 0
    with torch.no_grad():
        for _, inputs, targets in data.batches(spec, split, batch_size * 4):
            pred = model(*[inputs[n] for n in model.input_names]).argmax(-1)
            real = inputs['word_ids'] != 0 if spec['task'] == 'pos' else torch.ones_like(targets, dtype=torch.bool)
            right += int(((pred == targets) & real).sum())
            total += int(real.sum())
    model.train()
    return right / max(total, 1)


def main(argv=None):
    spec = load_spec()
    t = spec['train']
    p = argparse.ArgumentParser(description=f"Train the PyTorch twin of an rnnkit {spec['task']} model (single process or under torchrun).")
    p.add_argument('--epochs', type=int, default=t['epochs'])
    p.add_argument('--max-steps', type=int, default=0, help='stop after this many optimizer steps (0: none)')
    p.add_argument('--batch-size', type=int, default=t['batchSize'], help='examples per process per step')
    p.add_argument('--lr', type=float, default=t['lr'])
    p.add_argument('--clip-norm', type=float, default=t['clipNorm'])
    p.add_argument('--word-dropout', type=float, default=t.get('wordDropout', 0.0))
    p.add_argument('--seed', type=int, default=t['seed'])
    p.add_argument('--threads', type=int, default=1, help='torch threads per process')
    p.add_argument('--weights', default=os.path.join(HERE, 'model.safetensors'), help='initial weights')
    p.add_argument('--out', default=os.path.join(HERE, 'trained.safetensors'))
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    cuda = torch.cuda.is_available()
    if world > 1:
        dist.init_process_group('nccl' if cuda else 'gloo')
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if cuda else 'cpu')

    model = load_model(spec, a.weights).to(device)
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None) if world > 1 else model
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    train_split = data.load_split(HERE, 'train')
    dev_split = data.load_split(HERE, 'dev')
    log = (lambda r: print(json.dumps(r), flush=True)) if rank == 0 else (lambda r: None)
    log({'event': 'start', 'task': spec['task'], 'world_size': world, 'backend': ('nccl' if cuda else 'gloo') if world > 1 else None,
         'train': data.size(spec['task'], train_split), 'batch_size': a.batch_size})
    step = 0
    started = time.time()
    dev_acc = None
    for epoch in range(a.epochs):
        every = data.batches(spec, train_split, a.batch_size, seed=a.seed * 1000 + epoch, word_dropout=a.word_dropout)
        every = every[:len(every) - len(every) % world] if len(every) >= world else every[:0]
        mine = every[rank::world]
        total = 0.0
        for _, inputs, targets in mine:
            inputs = {k: v.to(device) for k, v in inputs.items()}
            logits = net(*[inputs[n] for n in model.input_names])
            loss = loss_of(spec, logits, targets.to(device))
            opt.zero_grad()
            loss.backward()
            if a.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), a.clip_norm)
            opt.step()
            step += 1
            total += float(loss)
            if a.max_steps and step >= a.max_steps:
                break
        if rank == 0:
            dev_acc = accuracy(spec, model, dev_split, a.batch_size) if dev_split and data.size(spec['task'], dev_split) else None
        log({'event': 'epoch', 'epoch': epoch + 1, 'steps': step, 'loss': total / max(len(mine), 1), 'dev_accuracy': dev_acc,
             'seconds': round(time.time() - started, 3)})
        if a.max_steps and step >= a.max_steps:
            break
    if rank == 0:
        meta = {'format': 'pt', 'rnnkit.twin': spec['task'],
                'rnnkit.trained': json.dumps({'steps': step, 'world_size': world, 'dev_accuracy': dev_acc, 'seconds': round(time.time() - started, 3)})}
        safetensors_io.save(a.out, model.state_dict(), meta)
        log({'event': 'summary', 'weights': a.out, 'steps': step, 'world_size': world, 'dev_accuracy': dev_acc, 'seconds': round(time.time() - started, 3)})
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
