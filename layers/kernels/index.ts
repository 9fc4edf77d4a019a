/**
 * Kernels the wasm backend of tfjs 4.22 lacks but common recurrent models need,
 * registered for 'wasm' when this module is imported (by rnnkit and rnnkit/layers),
 * each only if no 'wasm' kernel of that name is registered yet, so a backend that
 * gains its own keeps it. tf.registerKernel needs only the backend's name, so this
 * works whether @tensorflow/tfjs-backend-wasm is imported before or after rnnkit,
 * or never (then the entries are unused).
 *
 * Which kernels: bench/wasm_kernel_probe.js trains small typical models on wasm and
 * lists the kernels they miss.
 *  - UnsortedSegmentSum (native): gradient of tf.gather → tf.layers.embedding,
 *    tf.unsortedSegmentSum.
 *  - Conv2DBackpropFilter (native, on wasm's matmul): filter gradient of conv1d / conv2d.
 *  - DepthwiseConv2dNativeBackpropFilter / …Input (cpu kernel on copies): gradients of
 *    separableConv1d / separableConv2d / depthwiseConv2d.
 *  - Einsum (cpu kernel on copies): tf.einsum's forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter';
import { cpuFallbackKernel } from './cpu_fallback';
import { unsortedSegmentSumConfig } from './unsorted_segment_sum';

/** Every kernel rnnkit can provide for 'wasm'. */
export const WASM_FALLBACK_KERNELS: tf.KernelConfig[] = [
  unsortedSegmentSumConfig,
  conv2DBackpropFilterConfig,
  cpuFallbackKernel('DepthwiseConv2dNativeBackpropFilter'),
  cpuFallbackKernel('DepthwiseConv2dNativeBackpropInput'),
  cpuFallbackKernel('Einsum'),
];

const registered = new Set<string>();

/** Registers the missing ones (idempotent); returns the names rnnkit registered. */
export function registerWasmFallbackKernels(): string[] {
  for (const cfg of WASM_FALLBACK_KERNELS) {
    if (registered.has(cfg.kernelName) || tf.getKernel(cfg.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(cfg);
    registered.add(cfg.kernelName);
  }
  return [...registered];
}

/** Removes the kernels rnnkit registered (for probes and tests that need the stock backend). */
export function unregisterWasmFallbackKernels(): void {
  for (const name of registered) tf.unregisterKernel(name, 'wasm');
  registered.clear();
}

registerWasmFallbackKernels();
