/**
 * The language model as an ONNX graph with its recurrent state as inputs and
 * outputs, so a deployment can score text and generate one symbol at a time
 * (feed T = 1 and the previous step's states), in onnxruntime or any ONNX runtime:
 *
 *   inputs   symbol_ids int32 [batch, time]
 *            h0 float [layers, batch, H]   (and c0 for an LSTM; zeros to start)
 *   outputs  logits     float [batch, time, V]
 *            h_n, c_n   float [layers, batch, H]   (the states after the last step)
 *
 * The embedding is a Gather, each stacked layer a standard LSTM / GRU / RNN node
 * started from its slice of h0 / c0 (src/onnx/recurrent_emitters.ts), the output layer a
 * MatMul + Add. `OnnxStepper` runs it as LmNet's single-step API for generateIds.
 *
 * Used by predict.ts (CharLm.exportOnnx, useOnnxRuntime).
 */
import * as tf from '@tensorflow/tfjs';
import { emitRecurrent } from '../../src/onnx/recurrent_emitters';
import { GraphBuilder } from '../../src/onnx/graph';
import { OnnxRuntimeOptions } from '../../src/onnx/onnxruntime';
import { SyncOnnxSession } from '../../src/onnx/sync_session';
import type { LmNet } from './model';

/** The stateful graph (see the file comment). */
export function exportLm(net: LmNet, metadata: Record<string, string> = {}): Uint8Array {
  const rnn = net.rnn;
  const L = rnn.args.numLayers;
  const H = rnn.args.units;
  const V = net.vocabSize;
  const isLstm = rnn.args.cell === 'lstm';
  const g = new GraphBuilder();
  const ids = g.input('symbol_ids', 'int32', ['batch', 'time']);
  const h0 = g.input('h0', 'float32', [L, 'batch', H]);
  const c0 = isLstm ? g.input('c0', 'float32', [L, 'batch', H]) : undefined;
  const x = g.op('Gather', [g.weight('embedding/embeddings', net.embedding.getWeights()[0]), ids], { axis: 0 }, 'embedding/lookup');
  const slice = (v: string | undefined, k: number): string | undefined =>
    v && L > 1 ? g.op('Slice', [v, g.int64([k]), g.int64([k + 1]), g.int64([0])], {}, `${v}_l${k}`) : v;
  const r = emitRecurrent(g, rnn, x, undefined, (k) => ({ h: slice(h0, k), c: slice(c0, k) }));
  const [kernel, bias] = net.head.getWeights();
  const logits = g.op('Add', [g.op('MatMul', [r.output, g.weight('head/kernel', kernel)], {}, 'head/matmul'), g.weight('head/bias', bias)], {}, 'head/logits');
  g.output(logits, 'logits', 'float32', ['batch', 'time', V]);
  g.output(r.hN, 'h_n', 'float32', [L, 'batch', H]);
  if (r.cN) g.output(r.cN, 'c_n', 'float32', [L, 'batch', H]);
  return g.encode('charlm', 'rnnkit language model: symbol ids and states -> logits and states', metadata);
}

/** The layer's states (layer-major, h then c) as the graph's h0 (and c0) [layers, B, H]. */
export function graphStates(states: tf.Tensor[], isLstm: boolean): Record<string, tf.Tensor> {
  const per = isLstm ? 2 : 1;
  const pick = (j: number): tf.Tensor => tf.stack(states.filter((_, i) => i % per === j));
  return isLstm ? { h0: pick(0), c0: pick(1) } : { h0: pick(0) };
}

/** LmNet's single-step API (zeroStates, step) run by onnxruntime on the exported graph. */
export class OnnxStepper {
  private readonly session: SyncOnnxSession;
  private readonly isLstm: boolean;

  constructor(readonly net: LmNet, options: OnnxRuntimeOptions = {}) {
    this.session = new SyncOnnxSession(exportLm(net), options);
    this.isLstm = net.rnn.args.cell === 'lstm';
  }

  zeroStates(B: number): tf.Tensor2D[] {
    return this.net.zeroStates(B);
  }

  /** One symbol per row: ids [B] from `states` → logits [B, V] and the next states (the caller disposes both). */
  step(ids: tf.Tensor1D, states: tf.Tensor2D[]): { logits: tf.Tensor2D; states: tf.Tensor2D[] } {
    const B = ids.shape[0];
    const feeds = tf.tidy(() => ({ symbol_ids: tf.reshape(tf.cast(ids, 'int32'), [B, 1]), ...graphStates(states, this.isLstm) }));
    const out = this.session.run(feeds);
    tf.dispose(Object.values(feeds));
    const next = tf.tidy(() => {
      const hs = tf.unstack(out.h_n) as tf.Tensor2D[];
      const cs = out.c_n ? (tf.unstack(out.c_n) as tf.Tensor2D[]) : [];
      return hs.flatMap((h, k) => (this.isLstm ? [h, cs[k]] : [h]));
    });
    const logits = tf.reshape(out.logits, [B, -1]) as tf.Tensor2D;
    tf.dispose(Object.values(out));
    return { logits, states: next };
  }

  dispose(): void {
    this.session.dispose();
  }
}
