/**
 * The benchmark's onnxruntime rows (bench/onnxruntime_bench.js through bench/run.js):
 * on a tiny shape, `--impls fused,onnxruntime` gives a fused row and one inference
 * row per --ort-threads value, in run.js's JSON format, with the ratio to fused.
 * Timings are never asserted. Runs the built code (dist/).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { onnxRuntimeAvailable } from '../../src/onnx';

const ortTest = onnxRuntimeAvailable() ? test : test.skip;

ortTest('bench/run.js --impls fused,onnxruntime: onnxruntime inference rows with 1 and 2 threads', () => {
  const out = execFileSync(
    process.execPath,
    ['bench/run.js', '--backend', 'cpu', '--json', '--dims', '2,3,4,5', '--warmup', '1', '--iters', '1', '--min-iters', '1', '--cells', 'lstm,gru', '--impls', 'fused,onnxruntime', '--workers', '1'],
    { cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const records = out.trim().split('\n').map((l) => JSON.parse(l));
  expect(records.map((r) => [r.cell, r.impl, r.threads ?? null])).toEqual([
    ['lstm', 'fused', null], ['lstm', 'onnxruntime', 1], ['lstm', 'onnxruntime', 2],
    ['gru', 'fused', null], ['gru', 'onnxruntime', 1], ['gru', 'onnxruntime', 2],
  ]);
  for (const r of records.filter((q) => q.impl === 'onnxruntime')) {
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('onnxruntime-cpu');
    expect(r.inferMs).toBeGreaterThan(0);
    expect(r.trainMs).toBeNull();
    expect(typeof r.inferRatio).toBe('number');
    expect(r.shape).toEqual({ B: 2, T: 3, D: 4, H: 5, layers: 1, bidirectional: false });
  }
});
