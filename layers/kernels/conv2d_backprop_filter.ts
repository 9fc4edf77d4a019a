/**
 * Conv2DBackpropFilter for the wasm backend (which lacks it in tfjs 4.22): the
 * filter gradient of tf.conv2d and tf.conv1d, hence of tf.layers.conv1d /
 * conv2d (e.g. a 1-D convolution in front of a recurrent layer).
 *
 *   dW[fh, fw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh − top + fh, ow·sw − left + fw, ci] · dy[b, oh, ow, co]
 *
 * computed as one matrix product on the wasm backend's own kernels (XNNPACK):
 * the patches of x are gathered row by row into P [N, FH·FW·Ci] (N = B·OH·OW;
 * contiguous channel runs are memcpy'd, padding stays zero), transposed by wasm's
 * Transpose, and dW = Pᵀ · dy[N, Co] by BatchMatMul, whose row-major layout is the
 * filter's [FH, FW, Ci, Co].
 * Long inputs are processed in chunks of rows (P stays ≤ 4M floats) and summed.
 * Channels-first data goes to the cpu kernel. (Gradients of dilated convolutions
 * are refused by tfjs itself on every backend.)
 */
import * as tf from '@tensorflow/tfjs';
import { runOnCpu } from './cpu_fallback';
import { asWasm, Info } from './wasm_tensors';

export const CONV2D_BACKPROP_FILTER = 'Conv2DBackpropFilter';

/** Upper bound on the floats of one chunk of patches. */
const MAX_PATCH_FLOATS = 1 << 22;
let maxPatchFloats = MAX_PATCH_FLOATS;
/** Test hook: a smaller chunk limit (no argument restores the default). */
export function setConvChunkFloats(n = MAX_PATCH_FLOATS): void {
  maxPatchFloats = n;
}

type Args = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

function conv2DBackpropFilter(args: Args): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = (args.attrs ?? {}) as unknown as {
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const batchMatMul = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32' || !batchMatMul || !transposeKernel) {
    return runOnCpu(CONV2D_BACKPROP_FILTER, args) as Info;
  }
  const be = asWasm(args.backend, CONV2D_BACKPROP_FILTER);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = FH * FW * Ci;
  const N = B * OH * OW;
  const chunk = Math.max(1, Math.min(N, Math.floor(maxPatchFloats / Math.max(K, Co))));
  if (N === 0) {
    const zeros = be.makeOutput(attrs.filterShape, 'float32');
    be.typedArrayFromHeap(zeros).fill(0);
    return zeros;
  }
  // One chunk: the product is the result. Several: summed into `out`.
  let out: Info | null = null;
  type Run = (a: { inputs: Record<string, Info>; attrs: Record<string, unknown>; backend: unknown }) => Info;
  const matmul = batchMatMul.kernelFunc as unknown as Run;
  const transpose = transposeKernel.kernelFunc as unknown as Run;
  try {
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const rows = Math.min(chunk, N - n0);
      const patches = be.makeOutput([1, rows, K], 'float32');
      let product: Info | null = null;
      try {
        const p = be.typedArrayFromHeap(patches) as Float32Array;
        const xv = be.typedArrayFromHeap(x) as Float32Array;
        p.fill(0);
        for (let r = 0; r < rows; r++) {
          const n = n0 + r;
          const b = Math.floor(n / (OH * OW));
          const oh = Math.floor(n / OW) % OH;
          const ow = n % OW;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - top + fh * dh;
            if (ih < 0 || ih >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - left + fw * dw;
              if (iw < 0 || iw >= W) continue;
              const src = ((b * H + ih) * W + iw) * Ci;
              p.set(xv.subarray(src, src + Ci), r * K + (fh * FW + fw) * Ci);
            }
          }
        }
        // dy rows n0 .. n0+rows as a [1, rows, Co] view of dy's data (no copy).
        const dyRows: Info = n0 === 0 && rows === N ? { dataId: dy.dataId, shape: [1, N, Co], dtype: 'float32' } : copyRows(be, dy, n0, rows, Co);
        // Pᵀ by wasm's Transpose, then a plain product: wasm's BatchMatMul with transposeA
        // is ~50× slower than transpose + matmul at these shapes.
        const patchesT = transpose({ inputs: { x: patches }, attrs: { perm: [0, 2, 1] }, backend: args.backend });
        try {
          product = matmul({ inputs: { a: patchesT, b: dyRows }, attrs: { transposeA: false, transposeB: false }, backend: args.backend });
        } finally {
          be.disposeData(patchesT.dataId);
          if (dyRows.dataId !== dy.dataId) be.disposeData(dyRows.dataId);
        }
        if (rows === N) {
          const whole: Info = { dataId: product.dataId, shape: attrs.filterShape, dtype: 'float32' };
          product = null; // handed out, not freed
          return whole;
        }
        if (!out) {
          out = be.makeOutput(attrs.filterShape, 'float32');
          be.typedArrayFromHeap(out).fill(0);
        }
        const o = be.typedArrayFromHeap(out) as Float32Array;
        const pr = be.typedArrayFromHeap(product) as Float32Array;
        for (let i = 0; i < pr.length; i++) o[i] += pr[i];
      } finally {
        be.disposeData(patches.dataId);
        if (product) be.disposeData(product.dataId);
      }
    }
  } catch (e) {
    if (out) be.disposeData(out.dataId);
    throw e;
  }
  return out as Info;
}

/** Rows [n0, n0 + rows) of dy [N, Co] copied into a new [1, rows, Co] tensor. */
function copyRows(be: ReturnType<typeof asWasm>, dy: Info, n0: number, rows: number, Co: number): Info {
  const part = be.makeOutput([1, rows, Co], 'float32');
  const src = be.typedArrayFromHeap(dy) as Float32Array;
  (be.typedArrayFromHeap(part) as Float32Array).set(src.subarray(n0 * Co, (n0 + rows) * Co));
  return part;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: CONV2D_BACKPROP_FILTER,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};

