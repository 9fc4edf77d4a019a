/**
 * Inference through onnxruntime-node (native CPU kernels), loaded lazily: it is not a
 * dependency of this package (about 290 MB). Install it beside rnnkit with
 *
 *   ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
 *
 * (the variable skips its install script's download of CUDA extras; the CPU binaries
 * ship inside the npm package). Without it, `loadOnnxRuntime()` throws a UserError
 * that says so.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';

/** The part of onnxruntime's Tensor this module uses. */
interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}
/** The part of onnxruntime's InferenceSession this module uses. */
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
/** The part of the onnxruntime-node module this module uses. */
interface OrtModule {
  InferenceSession: { create(pathOrBytes: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: ArrayLike<number> | BigInt64Array, dims: readonly number[]) => OrtTensor;
}

/** How to install onnxruntime-node, for error messages and docs. */
export const ONNXRUNTIME_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node';

let cached: OrtModule | null = null;

/** Whether onnxruntime-node can be loaded. */
export function onnxRuntimeAvailable(): boolean {
  try {
    loadOnnxRuntime();
    return true;
  } catch {
    return false;
  }
}

/** The onnxruntime-node module, or a UserError saying how to install it. */
export function loadOnnxRuntime(): OrtModule {
  if (cached) return cached;
  try {
    // Resolved at run time only: bundlers and users without it never see it.
    const req = eval('require') as NodeRequire;
    cached = req('onnxruntime-node') as OrtModule;
    return cached;
  } catch (e) {
    throw new UserError(`the onnxruntime engine needs the npm package onnxruntime-node (${(e as Error).message.split('\n')[0]}); install it with: ${ONNXRUNTIME_INSTALL}`);
  }
}

/** Options of an onnxruntime session. */
export interface OnnxRuntimeOptions {
  /** Threads for one operator (onnxruntime's intraOpNumThreads). Default 1. */
  threads?: number;
}

/** Feeds for onnxruntime: tfjs tensors, by input name (int32 stays int32, float32 stays float32). */
export type OnnxRuntimeFeeds = Record<string, tf.Tensor>;

/** An onnxruntime session over an ONNX file or its bytes, taking and returning tfjs tensors. */
export class OnnxRuntimeSession {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
  ) {}

  static async create(model: string | Uint8Array, options: OnnxRuntimeOptions = {}): Promise<OnnxRuntimeSession> {
    const ort = loadOnnxRuntime();
    const threads = options.threads ?? 1;
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3, // errors only: its warnings about reused buffers for new shapes are noise here
    });
    return new OnnxRuntimeSession(ort, session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the model; returns every output as a tfjs tensor (float32, or int32 for integer outputs). */
  async run(feeds: OnnxRuntimeFeeds): Promise<Record<string, tf.Tensor>> {
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const name of this.session.inputNames) {
      const t = feeds[name];
      if (!t) throw new UserError(`onnxruntime: missing input '${name}' (inputs: ${this.session.inputNames.join(', ')})`);
      const data = t.dataSync();
      ortFeeds[name] = new this.ort.Tensor(t.dtype === 'float32' ? 'float32' : 'int32', data as Float32Array | Int32Array, t.shape);
    }
    const outs = await this.session.run(ortFeeds);
    const result: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(outs)) {
      const dims = [...v.dims];
      if (v.type === 'float32') result[name] = tf.tensor(v.data as Float32Array, dims, 'float32');
      else result[name] = tf.tensor(Int32Array.from(v.data as ArrayLike<number>, (x) => Number(x)), dims, 'int32');
    }
    return result;
  }

  async dispose(): Promise<void> {
    await this.session.release?.();
  }
}

/**
 * One-shot inference: runs an ONNX file (or its bytes) in onnxruntime-node on the
 * given inputs and returns its outputs as tfjs tensors, by output name. This is
 * what `rnn-predict --engine onnxruntime` calls.
 */
export async function runOnnx(model: string | Uint8Array, feeds: OnnxRuntimeFeeds, options: OnnxRuntimeOptions = {}): Promise<Record<string, tf.Tensor>> {
  const session = await OnnxRuntimeSession.create(model, options);
  try {
    return await session.run(feeds);
  } finally {
    await session.dispose();
  }
}
