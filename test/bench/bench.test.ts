/**
 * Smoke test of the benchmark harness (bench/): it runs end to end on tiny shapes
 * and prints well-formed JSON records; the FLOP formula matches hand counts;
 * compare.js pairs the rows of two runs. Timings themselves are never asserted.
 * Runs the built code (dist/, compiled by the global setup).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Plain CommonJS modules of bench/ (not part of the TypeScript build).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const configs = require('../../bench/configs');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const compare = require('../../bench/compare');

const ROOT = path.resolve(__dirname, '..', '..');

test('forward FLOPs: 2·B·T·G·H·(Din+H) per layer and direction', () => {
  const [lstmSmall] = configs.makeCases({ cells: ['lstm'], configs: ['small'] });
  expect(configs.forwardFlops(lstmSmall)).toBe(2 * 32 * 50 * 4 * 128 * (64 + 128));
  expect(configs.trainFlops(lstmSmall)).toBe(3 * 2 * 32 * 50 * 4 * 128 * (64 + 128));
  const [gruLarge] = configs.makeCases({ cells: ['gru'], configs: ['large'] });
  expect(configs.forwardFlops(gruLarge)).toBe(2 * 64 * 100 * 3 * 256 * (128 + 256));
  const [rnnSmall] = configs.makeCases({ cells: ['rnn'], configs: ['small'] });
  expect(configs.forwardFlops(rnnSmall)).toBe(2 * 32 * 50 * 1 * 128 * (64 + 128));
  // 2-layer BiLSTM: layer 0 reads D, layer 1 reads both directions (2H); two directions each.
  const [bi] = configs.makeCases({ cells: ['bilstm2'] });
  const perDir = (din: number) => 2 * 32 * 50 * 4 * 128 * (din + 128);
  expect(configs.forwardFlops(bi)).toBe(2 * perDir(64) + 2 * perDir(256));
});

test('the default case list: 3 cells × 2 sizes + the small 2-layer BiLSTM', () => {
  const cases = configs.makeCases();
  expect(cases.map((c: { cell: string; config: string }) => `${c.cell}/${c.config}`)).toEqual([
    'rnn/small', 'rnn/large', 'lstm/small', 'lstm/large', 'gru/small', 'gru/large', 'bilstm2/small',
  ]);
});

test('bench/run.js --json runs every tfjs implementation on tiny shapes; compare.js pairs two runs', () => {
  const run = () =>
    execFileSync(
      process.execPath,
      ['bench/run.js', '--backend', 'cpu', '--json', '--dims', '2,3,4,5', '--warmup', '1', '--iters', '1', '--min-iters', '1', '--no-torch', '--no-onnxruntime', '--workers', '1'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  const out = run();
  const records = out.trim().split('\n').map((l) => JSON.parse(l));
  expect(records).toHaveLength(4 * 3); // rnn, lstm, gru, bilstm2 × fused, autodiff, tfjs-layers
  for (const r of records) {
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('cpu');
    expect(['fused', 'autodiff', 'tfjs-layers']).toContain(r.impl);
    expect(r.trainMs).toBeGreaterThan(0);
    expect(r.inferMs).toBeGreaterThan(0);
    expect(r.peakBytes).toBeGreaterThan(0);
    expect(typeof r.gflops).toBe('number');
    expect(r.leakedTensors).toBeUndefined();
    expect(r.workers).toBe(1);
  }
  expect(records.filter((r) => r.impl === 'fused').every((r) => r.trainRatio === 1)).toBe(true);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-'));
  try {
    const a = path.join(dir, 'a.jsonl');
    fs.writeFileSync(a, out);
    const table: string = compare.compare(compare.load(a), compare.load(a), 10);
    expect(table).toContain('lstm custom fused');
    expect(table).toContain('1.00');
    expect(table).not.toMatch(/SLOWER|faster/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bench/run.js --workers 1,2 adds a data-parallel fused row per case (the engine\'s ReplicaPool)', () => {
  const out = execFileSync(
    process.execPath,
    ['bench/run.js', '--backend', 'cpu', '--json', '--dims', '4,3,4,5', '--warmup', '1', '--iters', '2', '--min-iters', '1', '--no-torch', '--cells', 'lstm', '--impls', 'fused', '--workers', '1,2'],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const records = out.trim().split('\n').map((l) => JSON.parse(l));
  expect(records.map((r) => [r.impl, r.workers])).toEqual([['fused', 1], ['fused', 2]]);
  const two = records[1];
  expect(two.error).toBeUndefined();
  expect(two.trainMs).toBeGreaterThan(0);
  expect(two.computeMs).toBeGreaterThan(0);
  expect(two.computeMs).toBeLessThanOrEqual(two.trainMs);
  expect(two.leakedTensors).toBeUndefined();
  expect(typeof two.trainRatio).toBe('number');
});
