/**
 * UnsortedSegmentSum for the wasm backend (which lacks it in tfjs 4.22): the
 * gradient of tf.gather, hence of tf.layers.embedding, and tf.unsortedSegmentSum.
 * Also a replacement for the cpu backend's: that one runs equal/multiply/sum
 * kernels once per segment, O(numSegments · N) with numSegments kernel launches
 * (8 s of CPU for 96 rows into a 10,000-word vocabulary, every training step);
 * this one is the same scatter on the cpu backend's arrays, and hands any input it
 * does not handle natively to the original cpu kernel.
 *
 *   out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]      out [numSegments, ...x.shape[1:]]
 *
 * A summed scatter over the rows of x, in place on the wasm heap: O(numSegments ·
 * inner) to zero the output plus O(ids · inner) additions, exact (no one-hot
 * matmul over the vocabulary). Ids outside [0, numSegments) are dropped, as on the
 * cpu backend. float32 values with rank-1 ids (what tf.gather's gradient and
 * tf.unsortedSegmentSum pass) run natively; anything else (int32 values, other id
 * ranks) goes to the cpu kernel, whose result, dtype included, it then matches
 * by construction.
 */
import * as tf from '@tensorflow/tfjs';
import { runOnCpu } from './cpu_fallback';
import { asWasm, Info, sizeOf } from './wasm_tensors';

export const UNSORTED_SEGMENT_SUM = 'UnsortedSegmentSum';

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info {
  const { x, segmentIds } = args.inputs as { x: Info; segmentIds: Info };
  const numSegments = Number((args.attrs ?? {}).numSegments);
  if (!native(x, segmentIds)) {
    return runOnCpu(UNSORTED_SEGMENT_SUM, args) as Info;
  }
  const be = asWasm(args.backend, UNSORTED_SEGMENT_SUM);
  const rest = x.shape.slice(1);
  const inner = sizeOf(rest);
  const out = be.makeOutput([numSegments, ...rest], x.dtype);
  // Views after the allocation (which may grow, and so detach, the heap).
  const o = be.typedArrayFromHeap(out) as Float32Array;
  const xv = be.typedArrayFromHeap(x) as Float32Array;
  const ids = be.typedArrayFromHeap(segmentIds) as Int32Array;
  o.fill(0);
  scatterAdd(o, xv, ids, inner, numSegments);
  return out;
}

/** float32 values with rank-1 ids of x's length: the inputs the scatters handle. */
function native(x: Info, segmentIds: Info): boolean {
  return segmentIds.shape.length === 1 && segmentIds.shape[0] === x.shape[0] && x.dtype === 'float32';
}

/** out[ids[i]] += x[i] over rows of `inner` floats; ids outside [0, numSegments) dropped. */
function scatterAdd(o: Float32Array, xv: Float32Array, ids: ArrayLike<number>, inner: number, numSegments: number): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xv[src + j];
  }
}

interface CpuBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): Info;
}

/** The cpu kernel that `cpuUnsortedSegmentSumConfig` falls back to (set when it replaces it). */
let originalCpu: tf.KernelConfig | undefined;
export function setOriginalCpuKernel(cfg: tf.KernelConfig | undefined): void {
  originalCpu = cfg;
}

function cpuUnsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info {
  const { x, segmentIds } = args.inputs as { x: Info; segmentIds: Info };
  const be = args.backend as Partial<CpuBackend>;
  if (!native(x, segmentIds) || typeof be.readSync !== 'function' || typeof be.makeTensorInfo !== 'function') {
    if (!originalCpu) throw new Error(`rnnkit's cpu ${UNSORTED_SEGMENT_SUM} handles float32 values with rank-1 ids only, and no original cpu kernel is registered`);
    return originalCpu.kernelFunc(args as never) as Info;
  }
  const numSegments = Number((args.attrs ?? {}).numSegments);
  const rest = x.shape.slice(1);
  const inner = sizeOf(rest);
  const o = new Float32Array(numSegments * inner);
  scatterAdd(o, be.readSync(x.dataId) as Float32Array, be.readSync(segmentIds.dataId), inner, numSegments);
  return be.makeTensorInfo([numSegments, ...rest], 'float32', o);
}

export const cpuUnsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: UNSORTED_SEGMENT_SUM,
  backendName: 'cpu',
  kernelFunc: cpuUnsortedSegmentSum as unknown as tf.KernelFunc,
};

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: UNSORTED_SEGMENT_SUM,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
