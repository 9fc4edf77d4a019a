/**
 * A wasm kernel that runs the cpu backend's kernel of the same name on copies of
 * its inputs and copies the results back to the wasm heap: exactly the cpu
 * backend's values, at the price of two copies. For kernels that are rare in
 * recurrent models (depthwise-convolution gradients, einsum) and for the inputs
 * the native fallbacks do not handle (e.g. channels-first convolutions).
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, Info } from './wasm_tensors';

interface CpuBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: ArrayLike<number>): Info;
  readSync(dataId: object): ArrayLike<number>;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Runs kernel `name` of the cpu backend for a wasm call; returns wasm infos. */
export function runOnCpu(name: string, args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info | Info[] {
  const wasm = asWasm(args.backend, name);
  const cfg = tf.getKernel(name, 'cpu');
  const cpu = tf.engine().findBackend('cpu') as unknown as CpuBackend | null;
  if (!cfg || !cpu) throw new Error(`rnnkit's '${name}' fallback for wasm needs the cpu backend (part of @tensorflow/tfjs), which is not registered`);
  const made: object[] = [];
  try {
    // Named inputs, or an array for variadic kernels (Einsum).
    const inputs: Record<string, Info> | Info[] = Array.isArray(args.inputs) ? [] : {};
    for (const [key, t] of Object.entries(args.inputs as Record<string, Info | undefined>)) {
      if (!t) continue;
      const info = cpu.makeTensorInfo(t.shape, t.dtype, wasm.readSync(t.dataId));
      made.push(info.dataId);
      (inputs as Record<string, Info>)[key] = info;
    }
    const out = cfg.kernelFunc({ inputs: inputs as never, attrs: args.attrs ?? {}, backend: cpu as never }) as Info | Info[];
    const outs = Array.isArray(out) ? out : [out];
    made.push(...outs.map((o) => o.dataId));
    const results = outs.map((o) => {
      const r = wasm.makeOutput(o.shape, o.dtype);
      wasm.typedArrayFromHeap(r).set(cpu.readSync(o.dataId) as never);
      return r;
    });
    return Array.isArray(out) ? results : results[0];
  } finally {
    for (const id of made) cpu.disposeData(id, true);
  }
}

/** A wasm kernel config that forwards to the cpu kernel. */
export function cpuFallbackKernel(name: string): tf.KernelConfig {
  return { kernelName: name, backendName: 'wasm', kernelFunc: ((args: never) => runOnCpu(name, args)) as tf.KernelFunc };
}
