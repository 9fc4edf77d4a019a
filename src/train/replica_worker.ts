/**
 * One data-parallel worker thread (see ./parallel): builds the task's replica,
 * then for every step request reads the shared weights into its model, computes
 * the loss and gradients of its shard and writes them to its shared buffer.
 */
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { seedDropout } from '../../layers/random';
import { selectBackend } from '../backend';
import { lossAndGrads } from './grads';
import { plainStates, tensorFrom, valuesOf } from './parallel';
import type { StepRequest, WorkerInit, WorkerReply } from './parallel';
import type { Replica } from './types';

const init = workerData as WorkerInit;
const port = parentPort as NonNullable<typeof parentPort>;
const reply = (m: WorkerReply): void => port.postMessage(m);
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function start(): Promise<void> {
  let replica: Replica<unknown>;
  let vars: tf.Variable[];
  try {
    await selectBackend(init.backend);
    const exportName = init.replica.exportName ?? 'buildReplica';
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require(init.replica.module) as Record<string, unknown>;
    const build = mod[exportName];
    if (typeof build !== 'function') throw new Error(`${init.replica.module} has no exported function '${exportName}'`);
    replica = await (build as (args: unknown) => Replica<unknown> | Promise<Replica<unknown>>)(init.replica.args);
    vars = replica.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const shapes = vars.map((v) => `[${v.shape.join(', ')}]`).join(' ');
    const expected = init.shapes.map((s) => `[${s.join(', ')}]`).join(' ');
    if (shapes !== expected) throw new Error(`the replica's trainable weights ${shapes} differ from the main model's ${expected}`);
  } catch (e) {
    reply({ type: 'error', message: `could not build the replica: ${errorText(e)}` });
    return;
  }
  const weights = new Float32Array(init.weights);
  const grads = new Float32Array(init.grads);
  const offsets = [0];
  for (const v of vars) offsets.push(offsets[offsets.length - 1] + v.size);

  port.on('message', (m: StepRequest) => {
    if (m.type !== 'step') return;
    try {
      const t0 = performance.now();
      vars.forEach((v, i) => tf.tidy(() => v.assign(tensorFrom(weights.subarray(offsets[i], offsets[i + 1]), v.shape))));
      if (m.states !== undefined) {
        // carried states (truncated BPTT): this shard's tracks start from the rows the main thread sent
        if (!replica.carried) throw new Error('the TrainSpec carries states between batches but the replica has no Replica.carried');
        replica.carried.set(m.states === null ? {} : Object.fromEntries(m.states.map((s) => [s.name, tensorFrom(s.data, s.shape)])));
      }
      seedDropout(m.seed);
      const { value, grads: g } = lossAndGrads(() => replica.loss(m.batch, true), vars);
      const loss = value.dataSync()[0];
      const states = m.states !== undefined && replica.carried ? plainStates(replica.carried.get()) : undefined;
      vars.forEach((v, i) => grads.set(valuesOf(g[v.name]), offsets[i]));
      value.dispose();
      tf.dispose(Object.values(g));
      reply({ type: 'done', loss, ms: performance.now() - t0, ...(states ? { states } : {}) });
    } catch (e) {
      reply({ type: 'error', message: errorText(e) });
    }
  });
  reply({ type: 'ready' });
}

void start();
