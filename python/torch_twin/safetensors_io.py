"""Read and write .safetensors files with the standard library and torch only.

The format: an 8-byte little-endian header length N, N bytes of JSON
({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}),
then the raw little-endian tensor bytes. F32, F16 and BF16 are read (as float32
tensors); tensors are written as F32. (The `safetensors` pip package reads these
files too; it is not needed here.)
"""
import json
import struct

import torch

_DTYPES = {'F32': (torch.float32, 4), 'F16': (torch.float16, 2), 'BF16': (torch.bfloat16, 2)}


def load(path):
    """Returns (tensors: {name: float32 tensor}, metadata: {str: str})."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f'{path}: not a safetensors file (shorter than its 8-byte header length)')
    (n,) = struct.unpack('<Q', raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f'{path}: header length {n} runs past the end of the file')
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {}) or {}
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        dtype = info['dtype']
        if dtype not in _DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {dtype} (F32, F16 and BF16 are read)")
        torch_dtype, size = _DTYPES[dtype]
        begin, end = info['data_offsets']
        shape = list(info['shape'])
        count = 1
        for d in shape:
            count *= d
        if end - begin != count * size:
            raise ValueError(f"{path}: tensor '{name}' has {end - begin} bytes, expected {count * size}")
        buf = bytearray(body[begin:end])
        t = torch.frombuffer(buf, dtype=torch_dtype) if count else torch.zeros(0, dtype=torch_dtype)
        out[name] = t.reshape(shape).to(torch.float32).clone()
    return out, meta


def save(path, tensors, metadata=None):
    """Writes {name: tensor} as F32 in the reference layout (names sorted, header padded to 8 bytes)."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        data = t.numpy().astype('<f4').tobytes() if t.numel() else b''
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    tmp = f'{path}.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
    import os
    os.replace(tmp, path)
