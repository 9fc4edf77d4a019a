/**
 * A small op executor for the fused kernels that bypasses the tfjs engine.
 *
 * Every tf op pays 10–40 µs of engine bookkeeping (tensor tracking, scopes,
 * tape checks), which for a [32, 128] elementwise op on wasm is 3–5× the
 * arithmetic. Inside a fused kernel nothing needs that bookkeeping, so on the
 * 'wasm' and 'cpu' backends (the `direct` mode) this class calls the backend's
 * registered kernels directly on TensorInfos and frees intermediates itself;
 * row/column splits and concatenations are plain copies between typed-array
 * views of the backend's buffers (the wasm heap, or the cpu backend's arrays).
 * Only the kernel's outputs and saved activations become tf.Tensors (`toTensor`).
 *
 * Any other backend (webgl, tensorflow, …) uses the `engine` mode: the same
 * methods through `engine.runKernel` / tf ops. Both modes are covered by tests.
 *
 * Lifetime: every info an Ops instance creates is tracked until `free`d or
 * turned into a tensor; `dispose()` frees whatever is left (call it in a
 * `finally`), so an exception cannot leak backend memory. Infos the Ops did not
 * create (the kernel's input tensors) are never freed by it.
 */
import * as tf from '@tensorflow/tfjs';

/** A tensor as the backends see it (tf.Tensor satisfies this too). */
export interface TI {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

interface DirectBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  // wasm
  makeOutput?(shape: number[], dtype: tf.DataType): TI;
  typedArrayFromHeap?(t: TI): Float32Array;
  // cpu
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: Float32Array): TI;
  readSync?(dataId: object): unknown;
}

type Engine = {
  runKernel(name: string, inputs: Record<string, TI>, attrs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  makeTensorFromTensorInfo(info: TI, backend?: unknown): tf.Tensor;
};

/** Backends whose kernels the direct mode calls (both are exercised by the tests). */
const DIRECT_BACKENDS = new Set(['wasm', 'cpu']);

let forceEngineMode = false;
/** Test hook: run every fused kernel through the engine path even on wasm / cpu. */
export function setFusedEngineMode(on: boolean): void {
  forceEngineMode = on;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Copies `rows` rows of `width` floats from src (row r at srcOff + r·srcStride)
 * to dst (at dstOff + r·dstStride) with subarray + set: a memcpy, ~20× faster
 * than a JS loop over wasm-heap views. (Arithmetic is never done in JS here:
 * V8 does not vectorise it, the backends' kernels do.)
 */
function copyRows(src: Float32Array, srcOff: number, srcStride: number, dst: Float32Array, dstOff: number, dstStride: number, rows: number, width: number): void {
  if (srcStride === width && dstStride === width) {
    dst.set(src.subarray(srcOff, srcOff + rows * width), dstOff);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s0 = srcOff + r * srcStride;
    dst.set(src.subarray(s0, s0 + width), dstOff + r * dstStride);
  }
}

export class Ops {
  readonly direct: boolean;
  private readonly backendName: string;
  private readonly be: DirectBackend;
  private readonly engine: Engine;
  private readonly isWasm: boolean;
  private readonly live = new Set<TI>();
  private readonly kernels = new Map<string, tf.KernelFunc>();

  constructor() {
    this.backendName = tf.getBackend();
    this.be = tf.backend() as unknown as DirectBackend;
    this.engine = tf.engine() as unknown as Engine;
    this.isWasm = this.backendName === 'wasm' && typeof this.be.makeOutput === 'function' && typeof this.be.typedArrayFromHeap === 'function';
    const isCpu = this.backendName === 'cpu' && typeof this.be.makeTensorInfo === 'function' && typeof this.be.readSync === 'function';
    this.direct = !forceEngineMode && DIRECT_BACKENDS.has(this.backendName) && (this.isWasm || isCpu);
  }

  // ---------------------------------------------------------------- lifetime

  private track<T extends TI>(t: T): T {
    this.live.add(t);
    return t;
  }

  /** Frees infos this Ops created (others, e.g. input tensors, are left alone). */
  free(...xs: (TI | null | undefined)[]): void {
    for (const x of xs) {
      if (!x || !this.live.has(x)) continue;
      this.live.delete(x);
      if (this.direct) this.be.disposeData(x.dataId);
      else (x as tf.Tensor).dispose();
    }
  }

  freeAll(xs: (TI | null | undefined)[]): void {
    this.free(...xs);
  }

  /** Hands an info over to the engine as a tf.Tensor (tracked by the current tf scope). */
  toTensor<T extends tf.Tensor = tf.Tensor>(x: TI): T {
    if (!this.live.has(x)) {
      // An input tensor passed through: a new tensor sharing its data.
      return tf.clone(x as tf.Tensor) as T;
    }
    this.live.delete(x);
    return (this.direct ? this.engine.makeTensorFromTensorInfo(x) : x) as T;
  }

  /** Frees everything still tracked. */
  dispose(): void {
    this.free(...Array.from(this.live));
  }

  // ---------------------------------------------------------------- kernels

  /**
   * Runs backend kernel `name` (tfjs' kernel names and attributes, e.g. 'Tanh' { x },
   * 'Softmax' { logits } { dim }, 'Conv2D') for kernels Ops has no method for: a direct
   * call of the registered kernel on wasm / cpu, through the engine elsewhere. The
   * output is tracked (freed by free / dispose) like every other Ops result.
   */
  run(name: string, inputs: Record<string, TI>, attrs: Record<string, unknown> = {}): TI {
    if (!this.direct) return this.track(this.engine.runKernel(name, inputs, attrs) as tf.Tensor);
    let k = this.kernels.get(name);
    if (!k) {
      const cfg = tf.getKernel(name, this.backendName);
      if (!cfg) throw new Error(`kernel ${name} is not registered for backend ${this.backendName}`);
      k = cfg.kernelFunc;
      this.kernels.set(name, k);
    }
    return this.track(k({ inputs: inputs as never, backend: this.be as never, attrs: attrs as never }) as TI);
  }

  /** a·b (no transpose flags: on wasm only the plain form runs on XNNPACK). */
  matMul(a: TI, b: TI): TI {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }
  /**
   * Aᵀ·G for a weight gradient (A [N, I] activations, G [N, O] gradients, N = T·B large).
   * On wasm computed as (Gᵀ·A)ᵀ: XNNPACK packs its right operand, and packing the
   * narrower A while the wider Gᵀ streams is ~1.3–1.8× faster here than Aᵀ·G.
   */
  matMulTN(A: TI, G: TI): TI {
    if (this.isWasm && this.direct) {
      const Gt = this.transpose(G, [1, 0]);
      const r = this.matMul(Gt, A);
      const out = this.transpose(r, [1, 0]);
      this.free(Gt, r);
      return out;
    }
    const At = this.transpose(A, [1, 0]);
    const out = this.matMul(At, G);
    this.free(At);
    return out;
  }
  /** a·b + bias (bias [n], broadcast over rows). */
  matMulBias(a: TI, b: TI, bias: TI): TI {
    // The kernel (unlike BatchMatMul) expects rank-3 operands.
    const a3 = this.reshape(a, [1, ...a.shape]);
    const b3 = this.reshape(b, [1, ...b.shape]);
    const o3 = this.run('_FusedMatMul', { a: a3, b: b3, bias }, { transposeA: false, transposeB: false, activation: 'linear' });
    const out = this.reshape(o3, [a.shape[0], b.shape[1]]);
    this.free(a3, b3, o3);
    return out;
  }
  add(a: TI, b: TI): TI {
    return this.run('Add', { a, b });
  }
  sub(a: TI, b: TI): TI {
    return this.run('Sub', { a, b });
  }
  mul(a: TI, b: TI): TI {
    return this.run('Multiply', { a, b });
  }
  sigmoid(x: TI): TI {
    return this.run('Sigmoid', { x });
  }
  relu(x: TI): TI {
    return this.run('Relu', { x });
  }
  square(x: TI): TI {
    return this.run('Square', { x });
  }
  /** 1 where x > 0 else 0 (float). */
  positive(x: TI): TI {
    return this.run('Step', { x }, { alpha: 0 });
  }
  transpose(x: TI, perm: number[]): TI {
    return this.run('Transpose', { x }, { perm });
  }
  reshape(x: TI, shape: number[]): TI {
    return this.run('Reshape', { x }, { shape });
  }

  /** a·x + c elementwise (scalars). */
  affine(x: TI, a: number, c: number): TI {
    const s = this.mul(x, this.keepConst(a));
    if (c === 0) return s;
    const out = this.add(s, this.keepConst(c));
    this.free(s);
    return out;
  }

  /** A float32 constant of the given shape. */
  constant(values: Float32Array | number, shape: number[] = []): TI {
    const v = typeof values === 'number' ? new Float32Array([values]) : values;
    if (!this.direct) return this.track(tf.tensor(v, shape, 'float32'));
    const out = this.alloc(shape);
    this.view(out).set(v);
    return out;
  }

  // ------------------------------------------------- views and memory copies

  private alloc(shape: number[]): TI {
    if (this.isWasm) return this.track(this.be.makeOutput!(shape, 'float32'));
    return this.track(this.be.makeTensorInfo!(shape, 'float32', new Float32Array(size(shape))));
  }

  /** A typed-array view of an info's data. On wasm it is invalidated by the next allocation. */
  view(x: TI): Float32Array {
    if (x.dtype !== 'float32') throw new Error('fused kernels work in float32');
    return this.isWasm ? this.be.typedArrayFromHeap!(x) : (this.be.readSync!(x.dataId) as Float32Array);
  }

  /** Splits [R, n·F] into its n column blocks [R, F]. */
  splitCols(x: TI, n: number): TI[] {
    return this.splitColsSized(x, new Array(n).fill(x.shape[1] / n));
  }

  /** Splits [R, ΣF_j] into column blocks of the given widths. */
  splitColsSized(x: TI, widths: number[]): TI[] {
    const [R, W] = x.shape;
    if (!this.direct) return (this.engine.runKernel('SplitV', { x }, { numOrSizeSplits: widths, axis: 1 }) as tf.Tensor[]).map((p) => this.track(p));
    const outs = widths.map((w) => this.alloc([R, w]));
    const src = this.view(x);
    let off = 0;
    outs.forEach((o, j) => {
      copyRows(src, off, W, this.view(o), 0, widths[j], R, widths[j]);
      off += widths[j];
    });
    return outs;
  }

  /** Splits [ΣR_j, F] into row blocks of the given heights. */
  splitRowsSized(x: TI, heights: number[]): TI[] {
    const F = x.shape[1];
    if (!this.direct) return (this.engine.runKernel('SplitV', { x }, { numOrSizeSplits: heights, axis: 0 }) as tf.Tensor[]).map((p) => this.track(p));
    const outs = heights.map((h) => this.alloc([h, F]));
    const src = this.view(x);
    let off = 0;
    outs.forEach((o, j) => {
      this.view(o).set(src.subarray(off, off + heights[j] * F));
      off += heights[j] * F;
    });
    return outs;
  }

  /** Splits [n·R, F] into n row blocks [R, F]. */
  splitRows(x: TI, n: number): TI[] {
    return this.splitRowsSized(x, new Array(n).fill(x.shape[0] / n));
  }

  /** Concatenates [R, F_j] along columns. */
  concatCols(xs: TI[]): TI {
    if (!this.direct) return this.track(this.engine.runKernel('Concat', xs as never, { axis: 1 }) as tf.Tensor);
    const R = xs[0].shape[0];
    const W = xs.reduce((a, x) => a + x.shape[1], 0);
    const out = this.alloc([R, W]);
    const dst = this.view(out);
    let off = 0;
    for (const x of xs) {
      const w = x.shape[1];
      copyRows(this.view(x), 0, w, dst, off, W, R, w);
      off += w;
    }
    return out;
  }

  /** Concatenates [R_j, F] along rows. */
  concatRows(xs: TI[]): TI {
    if (!this.direct) return this.track(this.engine.runKernel('Concat', xs as never, { axis: 0 }) as tf.Tensor);
    const F = xs[0].shape[1];
    const out = this.alloc([xs.reduce((a, x) => a + x.shape[0], 0), F]);
    const dst = this.view(out);
    let off = 0;
    for (const x of xs) {
      const src = this.view(x);
      dst.set(src, off);
      off += src.length;
    }
    return out;
  }

  /**
   * Rows ids[n] of table [V, F] → [N, F], one memcpy per row (the wasm backend's
   * Gather takes ~35 ns per element: 114 ms for 6,400 rows of 512, this 2–3 ms).
   * Throws for an id outside [0, V).
   */
  gatherRows(table: TI, ids: Int32Array): TI {
    const [V, F] = table.shape;
    for (let n = 0; n < ids.length; n++) {
      if (!(ids[n] >= 0 && ids[n] < V)) throw new Error(`gather: index ${ids[n]} at position ${n} is outside [0, ${V - 1}]`);
    }
    if (!this.direct) return this.track(tf.gather(table as tf.Tensor, tf.tensor1d(ids, 'int32')));
    const out = this.alloc([ids.length, F]);
    const dst = this.view(out);
    const src = this.view(table);
    for (let n = 0; n < ids.length; n++) dst.set(src.subarray(ids[n] * F, ids[n] * F + F), n * F);
    return out;
  }

  fill(shape: number[], value: number): TI {
    if (!this.direct) return this.track(tf.fill(shape, value, 'float32'));
    const out = this.alloc(shape);
    this.view(out).fill(value);
    return out;
  }

  /** Per-step [B, F] tensors (indexed by t) → [B, T, F]. */
  stackTime(xs: TI[]): TI {
    const T = xs.length;
    const [B, F] = xs[0].shape;
    if (!this.direct) {
      const tm = this.concatRows(xs); // [T·B, F]
      const r = this.reshape(tm, [T, B, F]);
      const out = this.transpose(r, [1, 0, 2]);
      this.free(tm, r);
      return out;
    }
    const out = this.alloc([B, T, F]);
    const dst = this.view(out);
    xs.forEach((x, t) => copyRows(this.view(x), 0, F, dst, t * F, T * F, B, F));
    return out;
  }

  /** [B, T, F] → per-step [B, F] tensors (indexed by t). */
  unstackTime(x: TI): TI[] {
    const [B, T, F] = x.shape;
    if (!this.direct) {
      const tm = this.transpose(x, [1, 0, 2]);
      const r = this.reshape(tm, [T * B, F]);
      const out = this.splitRows(r, T);
      this.free(tm, r);
      return out;
    }
    const outs = Array.from({ length: T }, () => this.alloc([B, F]));
    const src = this.view(x);
    outs.forEach((o, t) => copyRows(src, t * F, T * F, this.view(o), 0, F, B, F));
    return outs;
  }

  /** [B, T, F] → time-major [T·B, F]. */
  toTimeMajor(x: TI): TI {
    const [B, T, F] = x.shape;
    const tm = this.transpose(x, [1, 0, 2]);
    const out = this.reshape(tm, [T * B, F]);
    this.free(tm);
    return out;
  }

  /** Time-major [T·B, F] → [B, T, F]. */
  fromTimeMajor(x: TI, B: number, T: number): TI {
    const r = this.reshape(x, [T, B, x.shape[1]]);
    const out = this.transpose(r, [1, 0, 2]);
    this.free(r);
    return out;
  }

  /**
   * Masked step: rows b with keep[b] false take `old`'s row. Returns the carried
   * state: `next` itself, updated in place, in direct mode; a new info otherwise
   * (`next` is then left as it was, and freed with the rest of the Ops).
   */
  carry(next: TI, old: TI, keep: boolean[], m: TI, notM: TI): TI {
    if (!this.direct) {
      const a = this.mul(next, m);
      const b = this.mul(old, notM);
      const out = this.add(a, b);
      this.free(a, b);
      return out;
    }
    const F = next.shape[1];
    const dst = this.view(next);
    const src = this.view(old);
    keep.forEach((k, b) => {
      if (!k) dst.set(src.subarray(b * F, (b + 1) * F), b * F);
    });
    return next;
  }

  /** x with the rows b where keep[b] is false set to zero (a new info). */
  zeroRows(x: TI, keep: boolean[], m: TI): TI {
    if (!this.direct) return this.mul(x, m);
    const F = x.shape[1];
    const out = this.alloc(x.shape);
    const dst = this.view(out);
    const src = this.view(x);
    dst.set(src);
    keep.forEach((k, b) => {
      if (!k) dst.fill(0, b * F, (b + 1) * F);
    });
    return out;
  }

  private consts = new Map<number, TI>();
  /** A cached scalar constant (freed with the Ops). */
  keepConst(v: number): TI {
    let c = this.consts.get(v);
    if (!c) {
      c = this.constant(v);
      this.consts.set(v, c);
    }
    return c;
  }
}
