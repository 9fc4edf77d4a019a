/** Test helpers: backends and numeric comparison. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** Backends every numerical test runs on (tfjs-node is optional and never required). */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to load`);
  await tf.ready();
}

/** max over elements of |a − b| / (atol + rtol·|b|); ≤ 1 means within tolerance. */
export function toleranceRatio(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-4, rtol = 1e-4): number {
  if (actual.length !== expected.length) throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const r = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : Math.max(worst, r);
  }
  return worst;
}

/** Asserts two tensors/arrays agree within atol + rtol·|expected| elementwise, with a helpful message. */
export function expectClose(what: string, actual: tf.Tensor | number[], expected: tf.Tensor | number[], atol = 1e-4, rtol = 1e-4): void {
  const a = actual instanceof tf.Tensor ? actual.dataSync() : Float64Array.from(actual.flat(Infinity as 1) as number[]);
  const e = expected instanceof tf.Tensor ? expected.dataSync() : Float64Array.from(expected.flat(Infinity as 1) as number[]);
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor && !tf.util.arraysEqual(actual.shape, expected.shape)) {
    throw new Error(`${what}: shape [${actual.shape.join(', ')}] differs from expected [${expected.shape.join(', ')}]`);
  }
  const ratio = toleranceRatio(a, e, atol, rtol);
  if (!(ratio <= 1)) {
    let worst = 0;
    for (let i = 1; i < a.length; i++) if (Math.abs(a[i] - e[i]) > Math.abs(a[worst] - e[worst]) || Number.isNaN(a[i])) worst = i;
    throw new Error(`${what}: element ${worst} is ${a[worst]}, expected ${e[worst]} (tolerance ${atol} + ${rtol}·|expected|; worst ratio ${ratio.toFixed(2)})`);
  }
}
