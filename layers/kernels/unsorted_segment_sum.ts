/**
 * UnsortedSegmentSum for the wasm backend (which lacks it in tfjs 4.22): the
 * gradient of tf.gather, hence of tf.layers.embedding, and tf.unsortedSegmentSum.
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
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0] || x.dtype !== 'float32') {
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
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xv[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: UNSORTED_SEGMENT_SUM,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
