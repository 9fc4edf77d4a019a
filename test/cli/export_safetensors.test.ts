/**
 * rnn-export --format safetensors (cli/export.ts, src/interop/torch_state_dict.ts):
 * a saved model (Embedding → 2-layer bidirectional LSTM → Dense) exports as a
 * PyTorch state dict; the file loads back into the layers exactly, and, when
 * /usr/bin/python3 has torch, nn.Embedding + nn.LSTM + nn.Linear with
 * load_state_dict reproduce the tfjs model's output within 1e-5.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs';
import { embedding, loadTorchWeights, stacked } from '../../layers';
import { saveModel } from '../../src/io/fs_handler';
import { readSafetensors } from '../../src/interop/safetensors';
import { main } from '../../cli/export';

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { env: { ...process.env, OPENBLAS_CORETYPE: '', OPENBLAS_L2_SIZE: '' } }).status === 0;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-st-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('rnn-export --format safetensors writes the weights in PyTorch names and layouts', async () => {
  const model = tf.sequential({
    layers: [
      embedding({ inputDim: 7, outputDim: 3, inputShape: [null as unknown as number], name: 'emb' }),
      stacked({ cell: 'lstm', units: 4, numLayers: 2, bidirectional: true, returnSequences: true, name: 'rnn' }),
      tf.layers.dense({ units: 2, name: 'head' }),
    ],
  });
  const dir = path.join(tmp, 'model');
  await saveModel(model, dir);
  const out = path.join(tmp, 'w.safetensors');
  const write = process.stdout.write;
  let printed = '';
  process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['--model', dir, '--format', 'safetensors', '--out', out, '--verify', '--backend', 'cpu']);
  } finally {
    process.stdout.write = write;
  }
  expect(code).toBe(0);
  expect(printed).toMatch(/verified: .* reads back bit for bit/);
  const file = readSafetensors(fs.readFileSync(out), { file: out });
  expect(file.metadata.format).toBe('pt');
  expect(Object.keys(file.tensors).sort()).toEqual(
    ['emb.weight', 'head.bias', 'head.weight', ...[0, 1].flatMap((k) => ['', '_reverse'].flatMap((r) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => `rnn.${n}_l${k}${r}`)))].sort(),
  );
  expect(file.tensors['head.weight'].shape).toEqual([2, 8]);
  expect(file.tensors['rnn.weight_ih_l1_reverse'].shape).toEqual([16, 8]);
  const head = model.layers[2].getWeights()[0];
  expect(Array.from(file.tensors['head.weight'].data)).toEqual(Array.from(tf.transpose(head).dataSync()));

  // Back into a fresh layer: the same output bit for bit.
  const x = tf.tensor3d([[[0.1, -0.2, 0.3], [0.5, 0.4, -0.9], [0, 1, 2]]]);
  const fresh = stacked({ cell: 'lstm', units: 4, numLayers: 2, bidirectional: true, returnSequences: true });
  fresh.build([null, null, 3]);
  loadTorchWeights(fresh, file, { prefix: 'rnn.' });
  expect(Array.from((fresh.apply(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.layers[1].apply(x) as tf.Tensor).dataSync()));

  if (!hasTorch) return console.warn('skipping the PyTorch check: /usr/bin/python3 has no torch');
  const ids = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 0, 0, 0]];
  const want = model.predict(tf.tensor2d(ids, undefined, 'int32')) as tf.Tensor;
  const py = `
import json, struct, sys, torch
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
head = json.loads(raw[8:8 + n])
sd = {k: torch.frombuffer(bytearray(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]]), dtype=torch.float32).reshape(v['shape'])
      for k, v in head.items() if k != '__metadata__'}
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(7, 3)
        self.rnn = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.head = torch.nn.Linear(8, 2)
    def forward(self, x):
        return self.head(self.rnn(self.emb(x))[0])
net = Net()
net.load_state_dict(sd)
with torch.no_grad():
    print(json.dumps(net(torch.tensor(json.loads(sys.argv[2]))).tolist()))
`;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('/usr/bin/python3', ['-c', py, out, JSON.stringify(ids)], { env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const got = tf.tensor(JSON.parse(r.stdout) as number[][][]);
  expect(got.shape).toEqual(want.shape);
  expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
});
