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
 *
 * One cpu kernel is replaced: the cpu backend's UnsortedSegmentSum launches three
 * kernels per segment, so a tf.layers.embedding over a 10,000-word vocabulary costs
 * ~8 s of CPU per training step; rnnkit's is the same summed scatter (exact, the
 * original kernel still handles the inputs it does not: int32 values, other id ranks).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter';
import { cpuFallbackKernel } from './cpu_fallback';
import { cpuUnsortedSegmentSumConfig, setOriginalCpuKernel, unsortedSegmentSumConfig } from './unsorted_segment_sum';

/** Every kernel rnnkit can provide for 'wasm'. */
export const WASM_FALLBACK_KERNELS: tf.KernelConfig[] = [
  unsortedSegmentSumConfig,
  conv2DBackpropFilterConfig,
  cpuFallbackKernel('DepthwiseConv2dNativeBackpropFilter'),
  cpuFallbackKernel('DepthwiseConv2dNativeBackpropInput'),
  cpuFallbackKernel('Einsum'),
];

/** cpu kernels rnnkit replaces (the originals stay reachable as fallbacks). */
export const CPU_REPLACED_KERNELS: tf.KernelConfig[] = [cpuUnsortedSegmentSumConfig];

const registered = new Set<string>();
const replacedCpu = new Map<string, tf.KernelConfig>();

/**
 * Registers the missing wasm kernels and the cpu replacement (idempotent); returns
 * the names of the wasm kernels rnnkit registered.
 */
export function registerRnnkitKernels(): string[] {
  for (const cfg of WASM_FALLBACK_KERNELS) {
    if (registered.has(cfg.kernelName) || tf.getKernel(cfg.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(cfg);
    registered.add(cfg.kernelName);
  }
  for (const cfg of CPU_REPLACED_KERNELS) {
    const current = tf.getKernel(cfg.kernelName, 'cpu');
    if (current && current.kernelFunc === cfg.kernelFunc) continue;
    if (current) {
      replacedCpu.set(cfg.kernelName, current);
      setOriginalCpuKernel(current);
      tf.unregisterKernel(cfg.kernelName, 'cpu');
    }
    tf.registerKernel(cfg);
  }
  return [...registered];
}

/** Restores the stock kernels (for probes and tests that need the stock backends). */
export function unregisterRnnkitKernels(): void {
  for (const name of registered) tf.unregisterKernel(name, 'wasm');
  registered.clear();
  for (const cfg of CPU_REPLACED_KERNELS) {
    const original = replacedCpu.get(cfg.kernelName);
    if (tf.getKernel(cfg.kernelName, 'cpu')?.kernelFunc !== cfg.kernelFunc) continue;
    tf.unregisterKernel(cfg.kernelName, 'cpu');
    if (original) tf.registerKernel(original);
    replacedCpu.delete(cfg.kernelName);
  }
}

registerRnnkitKernels();
