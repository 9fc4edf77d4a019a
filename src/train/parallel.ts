/**
 * Data-parallel training on worker threads (TrainOptions.workers): the main
 * thread and `n − 1` workers each compute the gradients of one shard of a batch;
 * the main thread combines them and steps the optimizer.
 *
 *   main:    write weights → post shards 1..n−1 → compute shard 0 → wait → combine
 *   worker:  read weights  → loss & grads of its shard → write grads → 'done'
 *
 * The exchange goes through SharedArrayBuffers (one for the weights, one per
 * worker for its gradients), so a step posts only the shard and a few numbers.
 * Gradients combine as Σᵢ wᵢ·gᵢ (wᵢ = the shard's share of the batch), summed in
 * float64 in shard order: the full-batch mean gradient within float32 rounding,
 * bitwise reproducible for a given worker count. Workers hold no optimizer state,
 * so checkpoints, resume and weight averaging stay on the main thread unchanged.
 */
import type { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { seedDropout } from '../../layers/random';
import { WorkerCrashedError } from './errors';
import { lossAndGrads } from './grads';
import { mixSeed } from './rng';
import type { ReplicaSource, TrainSpec } from './types';
import { startScriptWorker, workerScript } from './worker_script';

/** What the main thread sends a worker at start (workerData). */
export interface WorkerInit {
  /** This worker's 1-based index. */
  index: number;
  /** The tfjs backend to select (the main thread's). */
  backend: string;
  replica: ReplicaSource;
  /** Shapes of the trainable weights, in order (the replica must match). */
  shapes: number[][];
  /** Float32 weights of all trainable variables, concatenated in order. */
  weights: SharedArrayBuffer;
  /** Float32 gradients this worker writes, same layout. */
  grads: SharedArrayBuffer;
}

/** Carried tensors (TrainSpec.carried) as plain data, to and from a worker. */
export type PlainStates = { name: string; shape: number[]; data: Float32Array }[];

/** Messages worker → main (`states`: the shard's final carried states, when the step sent some). */
export type WorkerReply = { type: 'ready' } | { type: 'done'; loss: number; ms: number; states?: PlainStates } | { type: 'error'; message: string };

/** Named tensors as plain data (copies). */
export function plainStates(map: tf.NamedTensorMap): PlainStates {
  return Object.entries(map).map(([name, t]) => ({ name, shape: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) }));
}

/** The shard of a step sent to a worker. */
export interface StepRequest {
  type: 'step';
  batch: unknown;
  /** Dropout seed of this shard. */
  seed: number;
  /**
   * With TrainSpec.carried: the rows of the carried states for this shard's tracks
   * (null: none yet, the replica starts its tracks from its init); absent otherwise.
   */
  states?: PlainStates | null;
}

/** Splits row-major per-example data: rows [⌊i·rows/n⌋, ⌊(i+1)·rows/n⌋). */
export function shardRange(rows: number, i: number, n: number): [number, number] {
  return [Math.floor((i * rows) / n), Math.floor(((i + 1) * rows) / n)];
}

/**
 * Shard i of n of a batch whose per-example fields are arrays (or typed arrays)
 * of length `rows`: those are sliced, every other field is copied as is.
 * E.g. `shard: (b, i, n) => shardRows(b, i, n, b.labels.length)`.
 */
export function shardRows<B extends object>(batch: B, i: number, n: number, rows: number): B {
  const [a, b] = shardRange(rows, i, n);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(batch)) {
    const perRow = (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) && (v as ArrayLike<unknown>).length === rows;
    out[k] = perRow ? (v as unknown[]).slice(a, b) : v;
  }
  return out as B;
}

/** The dropout seed of shard i of a step (shard 0: the step's own seed, as with one worker). */
export const shardSeed = (stepSeed: number, i: number): number => (i === 0 ? stepSeed : mixSeed(stepSeed, i, 0x5a4d));

/** acc[off + j] += f · g[j] (a plain loop V8 compiles well; float64 accumulation). */
export function addScaled(acc: Float64Array, off: number, g: Float32Array, f: number): void {
  for (let j = 0; j < g.length; j++) acc[off + j] += f * g[j];
}

/** out[j] = float32(acc[j] + f · g[j]): the last addScaled and the rounding in one pass. */
export function addScaledInto(out: Float32Array, acc: Float64Array, g: Float32Array, f: number): void {
  for (let j = 0; j < g.length; j++) out[j] = acc[j] + f * g[j];
}

/**
 * The float32 values of a tensor without a copy where the backend allows it (wasm:
 * a view of its heap, valid until the next allocation), else dataSync().
 */
export function valuesOf(t: tf.Tensor): Float32Array {
  const be = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array };
  return (tf.getBackend() === 'wasm' && typeof be.typedArrayFromHeap === 'function' ? be.typedArrayFromHeap(t) : t.dataSync()) as Float32Array;
}

/**
 * A tensor from (part of) a reused buffer: wasm copies the values into its heap at
 * once; other backends may keep the array they are given, so they get a copy.
 */
export function tensorFrom(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), shape);
}

/**
 * Splits carried tensors by rows into n parts: part 0 as tensors (for this thread),
 * parts 1… as plain data (null when there are no states yet). Disposes nothing:
 * the caller hands `local` to TrainSpec.carried.set, which frees the old ones.
 */
function splitCarried(full: tf.NamedTensorMap, n: number): { local: tf.NamedTensorMap; remote: (PlainStates | null)[] } {
  const names = Object.keys(full);
  const local: tf.NamedTensorMap = {};
  const remote: (PlainStates | null)[] = Array.from({ length: n - 1 }, () => (names.length ? [] : null));
  for (const name of names) {
    const t = full[name];
    const rows = t.shape[0];
    for (let i = 0; i < n; i++) {
      const [a, b] = shardRange(rows, i, n);
      const part = tf.slice(t, a, b - a);
      if (i === 0) local[name] = part;
      else {
        (remote[i - 1] as PlainStates).push({ name, shape: part.shape, data: Float32Array.from(part.dataSync() as Float32Array) });
        part.dispose();
      }
    }
  }
  return { local, remote };
}

/** The full carried tensors again: shard 0's (this thread's) rows, then each worker's, concatenated along axis 0. */
function mergeCarried(local: tf.NamedTensorMap, remote: PlainStates[]): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [name, t] of Object.entries(local)) {
    const parts = [t, ...remote.map((r) => r.find((s) => s.name === name)).filter((s) => s !== undefined).map((s) => tf.tensor(s.data, s.shape))];
    out[name] = tf.concat(parts, 0);
    parts.slice(1).forEach((p) => p.dispose());
  }
  return out;
}

/** Worker shards travel by structured clone: a tensor would arrive as an empty husk. */
function checkPlain(shard: unknown): void {
  const fields = shard instanceof tf.Tensor ? [['(the shard itself)', shard]] : shard && typeof shard === 'object' ? Object.entries(shard) : [];
  for (const [k, v] of fields) {
    if (v instanceof tf.Tensor) throw new Error(`TrainSpec.shard returned a tf.Tensor (${k}) for a worker shard; shards 1… go to worker threads and must be plain data (arrays, typed arrays)`);
  }
}

/**
 * Where a data-parallel step's time goes, summed over the steps of the latest pool
 * (reset when a pool starts; bench/workers.js reads it): `prepMs` shards + weight
 * copy + carried-state split on the main thread before any shard runs, `localMs`
 * shard 0 here, `remoteMs` the slowest worker's own compute (its `ms`), `waitMs` the
 * main thread idle after shard 0 until the workers answered, `combineMs` the sum of
 * the gradients and their tensors after that. Plain counters, no effect on results.
 */
export const parallelProfile = { steps: 0, prepMs: 0, localMs: 0, remoteMs: 0, waitMs: 0, combineMs: 0 };


interface Pending {
  resolve: (r: { loss: number; ms: number; states?: PlainStates }) => void;
  reject: (e: Error) => void;
}

/** The worker threads of a data-parallel run and their shared buffers. */
export class ReplicaPool {
  private failure: WorkerCrashedError | null = null;
  private closing = false;
  private readonly pending: (Pending | null)[];
  private readonly weightView: Float32Array;
  private readonly gradViews: Float32Array[];
  private readonly offsets: number[];
  /** Reused per step: the float64 gradient sum and its float32 rounding (fresh large arrays cost page faults). */
  private readonly acc: Float64Array;
  private readonly out: Float32Array;
  /** Where the failed step was, for the error message. */
  position = '';

  private constructor(
    private readonly workers: Worker[],
    private readonly vars: tf.Variable[],
    weights: SharedArrayBuffer,
    grads: SharedArrayBuffer[],
    private readonly source: ReplicaSource,
  ) {
    this.pending = workers.map(() => null);
    this.weightView = new Float32Array(weights);
    this.gradViews = grads.map((g) => new Float32Array(g));
    this.offsets = [0];
    for (const v of vars) this.offsets.push(this.offsets[this.offsets.length - 1] + v.size);
    this.acc = new Float64Array(this.weightView.length);
    this.out = new Float32Array(this.weightView.length);
  }

  /** Starts `count` workers, each building the replica; resolves when all are ready. */
  static async start(count: number, source: ReplicaSource, vars: tf.Variable[]): Promise<ReplicaPool> {
    const total = vars.reduce((s, v) => s + v.size, 0);
    const weights = new SharedArrayBuffer(4 * total);
    const grads = Array.from({ length: count }, () => new SharedArrayBuffer(4 * total));
    const entry = workerScript(__dirname, 'replica_worker', 'data-parallel');
    const workers = grads.map((g, k) => {
      const init: WorkerInit = { index: k + 1, backend: tf.getBackend(), replica: source, shapes: vars.map((v) => v.shape), weights, grads: g };
      return startScriptWorker(entry, init);
    });
    const pool = new ReplicaPool(workers, vars, weights, grads, source);
    Object.assign(parallelProfile, { steps: 0, prepMs: 0, localMs: 0, remoteMs: 0, waitMs: 0, combineMs: 0 });
    const ready = workers.map(
      (w, k) =>
        new Promise<void>((resolve, reject) => {
          pool.pending[k] = { resolve: () => resolve(), reject };
        }),
    );
    workers.forEach((w, k) => pool.listen(w, k));
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  private listen(w: Worker, k: number): void {
    const what = `data-parallel worker ${k + 1} (replica ${this.source.module}#${this.source.exportName ?? 'buildReplica'})`;
    w.on('message', (m: WorkerReply) => {
      const p = this.pending[k];
      this.pending[k] = null;
      if (m.type === 'error') this.fail(k, `${what} failed${this.position}: ${m.message}`, p);
      else p?.resolve(m.type === 'done' ? { loss: m.loss, ms: m.ms, states: m.states } : { loss: 0, ms: 0 });
    });
    w.on('error', (e) => this.fail(k, `${what} crashed${this.position}: ${e.message}`, this.pending[k]));
    w.on('exit', (code) => {
      if (!this.closing) this.fail(k, `${what} exited unexpectedly with code ${code}${this.position}`, this.pending[k]);
    });
  }

  private fail(k: number, message: string, p: Pending | null): void {
    this.pending[k] = null;
    if (!this.failure) this.failure = new WorkerCrashedError(message, k + 1);
    p?.reject(this.failure);
    // A dead worker cannot take part in any later step: fail the others' pending steps too.
    this.pending.forEach((q, j) => {
      this.pending[j] = null;
      q?.reject(this.failure as WorkerCrashedError);
    });
  }

  /** Copies the main model's trainable weights into the shared buffer the workers read. */
  private writeWeights(): void {
    this.vars.forEach((v, i) => this.weightView.set(valuesOf(v), this.offsets[i]));
  }

  /**
   * Loss and gradients of one batch, split into size + 1 shards. `local` computes
   * shard 0 on this thread. Returns the combined loss and gradients (named by the
   * main model's variables; the caller disposes them).
   */
  async lossAndGrads<B>(spec: TrainSpec<B>, batch: B, stepSeed: number): Promise<{ loss: number; grads: tf.NamedTensorMap; ms: number[] }> {
    if (this.failure) throw this.failure;
    const tPrep = performance.now();
    const n = this.size + 1;
    const shards = Array.from({ length: n }, (_, i) => (spec.shard as NonNullable<TrainSpec<B>['shard']>)(batch, i, n));
    const weightOf = spec.lossWeight ?? spec.batchSize;
    const w = shards.map((s) => weightOf(s));
    const W = w.reduce((a, b) => a + b, 0);
    if (!(W > 0)) throw new Error(`TrainSpec.shard / lossWeight: the shards of a batch have total weight ${W} (expected > 0)`);
    this.writeWeights();
    // Carried states (truncated BPTT): rows split along axis 0 as shardRange splits the tracks; shard 0's stay here.
    const full = spec.carried ? spec.carried.get() : null;
    const carried = full ? splitCarried(full, n) : null;
    // (a copy of the states before the step: a failed step leaves them as they were, for the checkpoint saved then)
    const before = full ? Object.fromEntries(Object.entries(full).map(([k, t]) => [k, t.clone()])) : null;
    if (carried && spec.carried) spec.carried.set(carried.local);
    try {
      return await this.shardedStep(spec, shards, w, W, stepSeed, carried, tPrep);
    } catch (e) {
      if (before && spec.carried) spec.carried.set(before);
      throw e;
    } finally {
      if (before && spec.carried && spec.carried.get() !== before) {
        const kept = new Set(Object.values(spec.carried.get()));
        tf.dispose(Object.values(before).filter((t) => !kept.has(t)));
      }
    }
  }

  private async shardedStep<B>(
    spec: TrainSpec<B>, shards: B[], w: number[], W: number, stepSeed: number, carried: { local: tf.NamedTensorMap; remote: (PlainStates | null)[] } | null, tPrep: number,
  ): Promise<{ loss: number; grads: tf.NamedTensorMap; ms: number[] }> {
    const n = shards.length;
    const remote: Promise<{ loss: number; ms: number; states?: PlainStates }>[] = [];
    for (let i = 1; i < n; i++) {
      if (w[i] === 0) {
        remote.push(Promise.resolve({ loss: 0, ms: 0 }));
        continue;
      }
      checkPlain(shards[i]);
      remote.push(new Promise((resolve, reject) => (this.pending[i - 1] = { resolve, reject })));
      const req: StepRequest = { type: 'step', batch: shards[i], seed: shardSeed(stepSeed, i), ...(carried ? { states: carried.remote[i - 1] } : {}) };
      this.workers[i - 1].postMessage(req);
    }
    const all = Promise.all(remote);
    all.catch(() => undefined); // handled below; keeps a rejection during shard 0 from being reported as unhandled
    // Σ wᵢ/W · gᵢ in float64, in shard order (shard 0 first, here, while the workers run).
    const t0 = performance.now();
    const acc = this.acc;
    acc.fill(0);
    let loss = 0;
    if (w[0] > 0) {
      seedDropout(stepSeed);
      const { value, grads } = lossAndGrads(() => spec.loss(shards[0], true), this.vars);
      loss = (w[0] / W) * value.dataSync()[0];
      this.vars.forEach((v, k) => addScaled(acc, this.offsets[k], valuesOf(grads[v.name]), w[0] / W));
      value.dispose();
      tf.dispose(Object.values(grads));
    }
    const t1 = performance.now();
    const localMs = t1 - t0;
    const results = await all;
    const t2 = performance.now();
    // The last worker's shard is added in the same pass that rounds the sum to float32 (one pass less over the
    // weights; the same float64 sum, so the same bits).
    const out = this.out;
    let last = n - 1;
    while (last > 0 && w[last] === 0) last--;
    for (let i = 1; i < n; i++) {
      if (w[i] === 0) continue;
      loss += (w[i] / W) * results[i - 1].loss;
      if (i < last) addScaled(acc, 0, this.gradViews[i - 1], w[i] / W);
    }
    if (last > 0) addScaledInto(out, acc, this.gradViews[last - 1], w[last] / W);
    else for (let j = 0; j < out.length; j++) out[j] = acc[j];
    if (carried && spec.carried) spec.carried.set(mergeCarried(spec.carried.get(), results.filter((_, k) => w[k + 1] > 0).map((r) => r.states ?? [])));
    const grads: tf.NamedTensorMap = {};
    this.vars.forEach((v, k) => (grads[v.name] = tensorFrom(out.subarray(this.offsets[k], this.offsets[k + 1]), v.shape)));
    const p = parallelProfile;
    p.steps++;
    p.prepMs += t0 - tPrep;
    p.localMs += localMs;
    p.remoteMs += Math.max(0, ...results.map((r) => r.ms));
    p.waitMs += t2 - t1;
    p.combineMs += performance.now() - t2;
    return { loss, grads, ms: [localMs, ...results.map((r) => r.ms)] };
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
