/**
 * A synchronous onnxruntime session: onnxruntime-node only runs asynchronously, but
 * the tasks' predictors call `model.predict` synchronously. The session lives in a
 * worker thread; `run` posts the inputs on a MessageChannel, blocks on Atomics.wait
 * until the worker has run the model, then takes the outputs with
 * receiveMessageOnPort. The worker is unref'd: it never keeps the process alive.
 */
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { loadOnnxRuntime, OnnxRuntimeOptions } from './onnxruntime';

/** The worker: creates the session, then answers one run per message. */
const WORKER = `
const { workerData } = require('worker_threads');
const ort = require(workerData.ortPath);
const { control, port, model, threads } = workerData;
const signal = () => { Atomics.store(control, 0, 1); Atomics.notify(control, 0); };
let session;
ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 })
  .then((s) => { session = s; port.postMessage({ ready: true }); signal(); },
        (e) => { port.postMessage({ error: String(e && e.message || e) }); signal(); });
port.on('message', async (feeds) => {
  try {
    const inputs = {};
    for (const [name, f] of Object.entries(feeds)) inputs[name] = new ort.Tensor(f.type, f.data, f.dims);
    const outs = await session.run(inputs);
    const result = {};
    for (const [name, t] of Object.entries(outs)) result[name] = { type: t.type, data: t.data, dims: Array.from(t.dims) };
    port.postMessage({ outputs: result });
  } catch (e) {
    port.postMessage({ error: String(e && e.message || e) });
  }
  signal();
});
`;

/** How long one call may block before it is an error (ms). */
const TIMEOUT_MS = 10 * 60 * 1000;

export class SyncOnnxSession {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly control: Int32Array;
  private disposed = false;

  /** Loads the model (ONNX bytes) into onnxruntime-node in a worker thread; blocks until it is ready. */
  constructor(model: Uint8Array, options: OnnxRuntimeOptions = {}) {
    loadOnnxRuntime(); // a UserError with install advice when the package is missing
    const ortPath = (eval('require') as NodeRequire).resolve('onnxruntime-node');
    this.control = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { ortPath, control: this.control, port: port2, model, threads: options.threads ?? 1 },
      transferList: [port2],
    });
    this.worker.unref();
    this.wait('loading the model');
  }

  private wait(what: string): Record<string, unknown> {
    const r = Atomics.wait(this.control, 0, 0, TIMEOUT_MS);
    if (r === 'timed-out') throw new Error(`onnxruntime: ${what} took longer than ${TIMEOUT_MS / 1000} s`);
    Atomics.store(this.control, 0, 0);
    const msg = receiveMessageOnPort(this.port)?.message as Record<string, unknown> | undefined;
    if (!msg) throw new Error(`onnxruntime: no answer from the worker while ${what}`);
    if (msg.error) throw new UserError(`onnxruntime: ${String(msg.error)}`);
    return msg;
  }

  /** Runs the model on tfjs tensors (by input name); returns tfjs tensors by output name. */
  run(feeds: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    if (this.disposed) throw new Error('onnxruntime: session used after dispose()');
    const msg: Record<string, { type: string; data: Float32Array | Int32Array; dims: number[] }> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const data = t.dtype === 'float32' ? Float32Array.from(t.dataSync()) : Int32Array.from(t.dataSync());
      msg[name] = { type: t.dtype === 'float32' ? 'float32' : 'int32', data, dims: t.shape };
    }
    this.port.postMessage(msg);
    const { outputs } = this.wait('running the model') as { outputs: Record<string, { type: string; data: ArrayLike<number | bigint>; dims: number[] }> };
    const result: Record<string, tf.Tensor> = {};
    for (const [name, o] of Object.entries(outputs)) {
      result[name] =
        o.type === 'float32'
          ? tf.tensor(Float32Array.from(o.data as ArrayLike<number>), o.dims, 'float32')
          : tf.tensor(Int32Array.from(o.data as ArrayLike<number>, (v) => Number(v)), o.dims, 'int32');
    }
    return result;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
