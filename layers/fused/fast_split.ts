/**
 * Row- and column-block splits that are cheap on every backend.
 *
 * The wasm backend implements Slice in JavaScript by first copying the *whole*
 * input out of the wasm heap (readSync), so splitting a [T·B, F] tensor into T
 * row blocks costs T full copies (67 ms for [1600, 512] into 50 on this machine),
 * and a 4-way column split of a [32, 512] gate tensor costs ~330 µs. On wasm these
 * helpers allocate the outputs through the backend and copy each block once from
 * a view of the heap; elsewhere they are tf.split.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of the wasm backend's interface these helpers use. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): { dataId: object; shape: number[]; dtype: tf.DataType };
  typedArrayFromHeap(t: { dataId: object; shape: number[]; dtype: tf.DataType }): Float32Array;
}

function heapBackend(x: tf.Tensor): WasmHeapBackend | null {
  if (x.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as Partial<WasmHeapBackend>;
  return typeof be.makeOutput === 'function' && typeof be.typedArrayFromHeap === 'function' ? (be as WasmHeapBackend) : null;
}

type Engine = { makeTensorFromTensorInfo(info: object, backend?: unknown): tf.Tensor };

function allocate(be: WasmHeapBackend, n: number, shape: number[]) {
  // Allocate every output before taking heap views: an allocation may grow the
  // wasm memory, which detaches views taken earlier.
  return Array.from({ length: n }, () => be.makeOutput(shape, 'float32'));
}

function wrap<T extends tf.Tensor>(infos: { dataId: object; shape: number[]; dtype: tf.DataType }[]): T[] {
  const engine = tf.engine() as unknown as Engine;
  return infos.map((info) => engine.makeTensorFromTensorInfo(info) as T);
}

/** Splits [n·R, F] into n consecutive row blocks [R, F]. */
export function splitRows(x: tf.Tensor2D, n: number): tf.Tensor2D[] {
  const be = heapBackend(x);
  if (!be) return tf.split(x, n, 0) as tf.Tensor2D[];
  const [N, F] = x.shape;
  const R = N / n;
  const infos = allocate(be, n, [R, F]);
  const src = be.typedArrayFromHeap(x as never);
  const block = R * F;
  infos.forEach((info, i) => be.typedArrayFromHeap(info).set(src.subarray(i * block, (i + 1) * block)));
  return wrap<tf.Tensor2D>(infos);
}

/** Splits [B, n·F] into n column blocks [B, F]. */
export function splitCols(x: tf.Tensor2D, n: number): tf.Tensor2D[] {
  const be = heapBackend(x);
  if (!be) return tf.split(x, n, 1) as tf.Tensor2D[];
  const [B, W] = x.shape;
  const F = W / n;
  const infos = allocate(be, n, [B, F]);
  const src = be.typedArrayFromHeap(x as never);
  infos.forEach((info, j) => {
    const dst = be.typedArrayFromHeap(info);
    for (let r = 0; r < B; r++) dst.set(src.subarray(r * W + j * F, r * W + (j + 1) * F), r * F);
  });
  return wrap<tf.Tensor2D>(infos);
}

/** Splits [B, ΣF] into column blocks of the given widths. */
export function splitColsSized(x: tf.Tensor2D, widths: number[]): tf.Tensor2D[] {
  const be = heapBackend(x);
  if (!be) return tf.split(x, widths, 1) as tf.Tensor2D[];
  const [B, W] = x.shape;
  const infos = widths.map((w) => be.makeOutput([B, w], 'float32'));
  const src = be.typedArrayFromHeap(x as never);
  let offset = 0;
  infos.forEach((info, j) => {
    const dst = be.typedArrayFromHeap(info);
    const w = widths[j];
    for (let r = 0; r < B; r++) dst.set(src.subarray(r * W + offset, r * W + offset + w), r * w);
    offset += w;
  });
  return wrap<tf.Tensor2D>(infos);
}

/** Concatenates [B, F_j] tensors along columns into [B, ΣF_j]. */
export function concatCols(xs: tf.Tensor2D[]): tf.Tensor2D {
  const be = heapBackend(xs[0]);
  if (!be || xs.some((x) => x.dtype !== 'float32')) return tf.concat(xs, 1) as tf.Tensor2D;
  const B = xs[0].shape[0];
  const W = xs.reduce((a, x) => a + x.shape[1], 0);
  const [info] = allocate(be, 1, [B, W]);
  const dst = be.typedArrayFromHeap(info);
  let offset = 0;
  for (const x of xs) {
    const src = be.typedArrayFromHeap(x as never);
    const w = x.shape[1];
    for (let r = 0; r < B; r++) dst.set(src.subarray(r * w, (r + 1) * w), r * W + offset);
    offset += w;
  }
  return wrap<tf.Tensor2D>([info])[0];
}

/** Concatenates [R_j, F] tensors along rows into [ΣR_j, F]. */
export function concatRows(xs: tf.Tensor2D[]): tf.Tensor2D {
  const be = heapBackend(xs[0]);
  if (!be || xs.some((x) => x.dtype !== 'float32')) return tf.concat(xs, 0) as tf.Tensor2D;
  const F = xs[0].shape[1];
  const N = xs.reduce((a, x) => a + x.shape[0], 0);
  const [info] = allocate(be, 1, [N, F]);
  const dst = be.typedArrayFromHeap(info);
  let offset = 0;
  for (const x of xs) {
    const src = be.typedArrayFromHeap(x as never);
    dst.set(src, offset);
    offset += src.length;
  }
  return wrap<tf.Tensor2D>([info])[0];
}

/** Flattens and concatenates tensors into one 1-D tensor. */
export function concatFlat(xs: tf.Tensor[]): tf.Tensor1D {
  const be = heapBackend(xs[0]);
  if (!be || xs.some((x) => x.dtype !== 'float32')) return tf.concat(xs.map((x) => tf.reshape(x, [-1])), 0) as tf.Tensor1D;
  const N = xs.reduce((a, x) => a + x.size, 0);
  const [info] = allocate(be, 1, [N]);
  const dst = be.typedArrayFromHeap(info);
  let offset = 0;
  for (const x of xs) {
    dst.set(be.typedArrayFromHeap(x as never), offset);
    offset += x.size;
  }
  return wrap<tf.Tensor1D>([info])[0];
}

/** Splits a 1-D tensor into consecutive pieces of the given sizes, reshaped to `shapes`. */
export function splitFlat(x: tf.Tensor1D, shapes: number[][]): tf.Tensor[] {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const be = heapBackend(x);
  if (!be) return (tf.split(x, sizes, 0) as tf.Tensor[]).map((p, i) => tf.reshape(p, shapes[i]));
  const infos = shapes.map((s) => be.makeOutput(s, 'float32'));
  const src = be.typedArrayFromHeap(x as never);
  let offset = 0;
  infos.forEach((info, i) => {
    be.typedArrayFromHeap(info).set(src.subarray(offset, offset + sizes[i]));
    offset += sizes[i];
  });
  return wrap<tf.Tensor>(infos);
}
