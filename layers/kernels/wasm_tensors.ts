/**
 * The few wasm-backend methods the fallback kernels use, typed by duck-typing so
 * this folder imports only @tensorflow/tfjs (the wasm package stays optional).
 *
 * A kernel function receives the backend instance; `asWasm` checks it has these
 * methods (tfjs-backend-wasm 4.x) and throws a clear error otherwise.
 */
import * as tf from '@tensorflow/tfjs';

/** A tensor as a backend sees it. */
export interface Info {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

/** Typed arrays the wasm heap is viewed through. */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

export interface WasmBackend {
  /** Allocates an output on the wasm heap (contents undefined). */
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  /** A view of a tensor's bytes on the heap (no copy; invalid after the heap grows). */
  typedArrayFromHeap(info: Info): HeapArray;
  /** A copy of a tensor's values. */
  readSync(dataId: object): ArrayLike<number>;
  /** Releases a tensor's memory (reference-counted). */
  disposeData(dataId: object, force?: boolean): boolean;
}

export function asWasm(backend: unknown, kernel: string): WasmBackend {
  const be = backend as Partial<WasmBackend>;
  if (typeof be.makeOutput !== 'function' || typeof be.typedArrayFromHeap !== 'function' || typeof be.readSync !== 'function') {
    throw new Error(`rnnkit's ${kernel} kernel for 'wasm' got a backend without makeOutput/typedArrayFromHeap (tfjs-backend-wasm 4.x expected)`);
  }
  return be as WasmBackend;
}

export const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
