/** Backend selection: explicit names, RNN_BACKEND, auto order, and clear errors without silent fallback. */
import * as tf from '@tensorflow/tfjs';
import { BackendError, selectBackend } from '../../src/backend';

function tfjsNodeResolvable(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  delete process.env.RNN_BACKEND;
});

test('wasm and cpu load by name and become active', async () => {
  expect(await selectBackend('wasm')).toBe('wasm');
  expect(tf.getBackend()).toBe('wasm');
  expect(await selectBackend('cpu')).toBe('cpu');
  expect(tf.getBackend()).toBe('cpu');
});

test('RNN_BACKEND chooses when no name is given', async () => {
  process.env.RNN_BACKEND = 'cpu';
  expect(await selectBackend()).toBe('cpu');
  process.env.RNN_BACKEND = 'wasm';
  expect(await selectBackend()).toBe('wasm');
});

test('auto picks tensorflow when tfjs-node loads, else wasm', async () => {
  const chosen = await selectBackend('auto');
  if (!tfjsNodeResolvable()) expect(chosen).toBe('wasm');
  else expect(['tensorflow', 'wasm']).toContain(chosen);
  expect(tf.getBackend()).toBe(chosen);
});

test('an unavailable tensorflow backend is an error that says how to get it (no fallback)', async () => {
  if (tfjsNodeResolvable()) return; // the machine has tfjs-node: nothing to check here
  await selectBackend('cpu');
  await expect(selectBackend('tensorflow')).rejects.toThrow(BackendError);
  await expect(selectBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' could not be loaded .*npm install @tensorflow\/tfjs-node/);
  expect(tf.getBackend()).toBe('cpu');
});

test('an unknown backend name lists the valid ones', async () => {
  await expect(selectBackend('webgpu')).rejects.toThrow("unknown backend 'webgpu': expected one of auto, tensorflow, wasm, cpu");
});
