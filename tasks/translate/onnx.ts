/**
 * The translator as one ONNX file that translates: right-padded source ids
 * [B, S] (0 = padding) → greedy output tokens, for onnxruntime (Node, the browser,
 * mobile, C++) with no decoding loop on the caller's side.
 *
 *   inputs   source_ids int32 [batch, source_time]
 *   outputs  tokens     int32 [batch, steps]  output ids; <eos> where a sentence
 *                                             ended, 0 after it
 *            lengths    int32 [batch]         output tokens per sentence (without <eos>)
 *            log_prob   float [batch]         log-probability of the output
 *                                             (with its <eos> when it ended there)
 *
 * The graph is the task's greedy decoding (decode.ts) in standard ops: the
 * encoder (bidirectional LSTM/GRU nodes with the source lengths), the bridge, the
 * attention keys and mask computed once; then an ONNX `Loop` whose body is one
 * decoder step (Seq2Seq.step: target embedding, one LSTM/GRU node per decoder
 * layer on a length-1 sequence with the carried states, attention — Luong,
 * input feeding or Bahdanau — the combination layer, the output layer,
 * LogSoftmax and ArgMax). A sentence stops at <eos> or at its limit
 * min(maxLen, ⌊a·|source| + b⌋) (at least 1); the loop stops when every sentence
 * has. Beam search is not in the graph (greedy only).
 */
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../src/onnx/graph';
import { attentionKeys, attentionMaskOffset, attentionStep } from '../../src/onnx/attention_emitters';
import { padMask } from '../../src/onnx/emitters';
import { emitRecurrent } from '../../src/onnx/recurrent_emitters';
import { ONNX_OP, onnxWeightsOf } from '../../src/onnx/recurrent';
import { EOS_ID, SOS_ID } from './data';
import { Seq2Seq } from './model';

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;

/** The decoding limits (Translator.decodeIds uses maxLen 2·config.maxLen, the config's a and b). */
export interface TranslatorExportOptions {
  /** Upper bound on output tokens (excluding <eos>). */
  maxLen: number;
  /** Per-sentence bound a·|source| + b: a. */
  maxLenA: number;
  /** Per-sentence bound a·|source| + b: b. */
  maxLenB: number;
  /** Key/value strings for the file's metadata_props (a checkpoint's artifacts). */
  metadata?: Record<string, string>;
}

/** A tfjs Dense layer's kernel (and bias) as initializers. */
function denseWeights(g: GraphBuilder, layer: tf.layers.Layer): { W: string; b?: string } {
  const [kernel, bias] = layer.getWeights();
  return { W: g.weight(`${layer.name}/kernel`, kernel), b: bias ? g.weight(`${layer.name}/bias`, bias) : undefined };
}

/** The greedy translator graph (see the file comment). */
export function exportTranslator(net: Seq2Seq, options: TranslatorExportOptions): Uint8Array {
  const c = net.config;
  const isLstm = c.cell === 'lstm';
  const per = isLstm ? 2 : 1;
  const H = c.hidden;
  const g = new GraphBuilder();

  // ---- encoder, bridge, attention keys: once per batch ----
  const src = g.input('source_ids', 'int32', ['batch', 'source_time']);
  const { float: mask, lengths } = padMask(g, src, 'source');
  const emb = g.op('Gather', [g.weight('source_embedding/embeddings', net.srcEmbedding.getWeights()[0]), src], { axis: 0 }, 'source_embedding/lookup');
  const enc = emitRecurrent(g, net.encoder, emb, lengths, () => ({}), true);
  const memory = enc.output; // [B, S, 2H]
  const initial = net.bridgeInputs(enc.finals).map(([f, r], i) => {
    const { W, b } = denseWeights(g, net.bridges[i]);
    const cat = g.op('Concat', [f, r], { axis: 1 }, `bridge_${i}/concat`);
    const h = g.op('Tanh', [g.op('Gemm', b ? [cat, W, b] : [cat, W], {}, `bridge_${i}/gemm`)], {}, `bridge_${i}/tanh`);
    return g.op('Unsqueeze', [h, g.int64([0])], {}, `bridge_${i}/state`); // [1, B, H]: the ONNX nodes' state layout
  });
  const att = net.attention;
  const keys = attentionKeys(g, att, memory);
  const offset = attentionMaskOffset(g, att, mask);
  const tgtTable = g.weight('target_embedding/embeddings', net.tgtEmbedding.getWeights()[0]);
  const decoderWeights = Array.from({ length: c.decoderLayers }, (_, k) => {
    const w = onnxWeightsOf(net.decoder, k);
    const names = { W: g.weight(`decoder/W_l${k}`, w.W), R: g.weight(`decoder/R_l${k}`, w.R), B: w.B ? g.weight(`decoder/B_l${k}`, w.B) : '', attributes: w.attributes };
    tf.dispose([w.W, w.R, ...(w.B ? [w.B] : [])]);
    return names;
  });
  const combine = g.weight('attention_combine/kernel', net.combine.getWeights()[0]);
  const output = denseWeights(g, net.output);

  // Per-sentence limits and the loop's trip count.
  const lenF = g.op('Cast', [lengths], { to: FLOAT }, 'source/length_f');
  const raw = g.op('Floor', [g.op('Add', [g.op('Mul', [lenF, g.floats('max_len_a', [], [options.maxLenA])], {}, 'limit_a'), g.floats('max_len_b', [], [options.maxLenB])], {}, 'limit_ab')], {}, 'limit_floor');
  const limitF = g.op('Max', [g.op('Min', [raw, g.floats('max_len', [], [options.maxLen])], {}, 'limit_min'), g.floats('one', [], [1])], {}, 'limit_f');
  const limit = g.op('Cast', [limitF], { to: INT64 }, 'limit'); // [B]
  const trips = g.op('Cast', [g.op('ReduceMax', [limitF], { keepdims: 0 }, 'limit_max')], { to: INT64 }, 'trip_count');
  const zerosI64 = g.op('Mul', [g.op('Cast', [lengths], { to: INT64 }, 'length_i64'), g.int64([0], true)], {}, 'zeros_i64'); // [B]
  const prev0 = g.op('Add', [zerosI64, g.int64([SOS_ID], true)], {}, 'sos');
  const count0 = g.op('Identity', [zerosI64], {}, 'count0');
  const done0 = g.op('Less', [lengths, g.int32Scalar(0)], {}, 'done0'); // all false
  const logp0 = g.op('Mul', [lenF, g.floats('zero', [], [0])], {}, 'logp0');
  const cond0 = g.op('Greater', [trips, g.int64([0], true)], {}, 'cond0');
  const batch = g.op('Slice', [g.op('Shape', [src], {}, 'source/shape'), g.int64([0]), g.int64([1]), g.int64([0])], {}, 'source/batch');
  const feed0 =
    c.decoder === 'input-feeding'
      ? [g.op('ConstantOfShape', [g.op('Concat', [batch, g.int64([H])], { axis: 0 }, 'feed0_shape')], {}, 'feed0')] // zeros [B, H]
      : [];

  // ---- the loop body: one decoder step ----
  const b = new GraphBuilder(g);
  b.typedInput('iteration', 'int64', []);
  b.typedInput('cond_in', 'bool', []);
  const prev = b.typedInput('prev', 'int64');
  const statesIn = initial.map((_, i) => b.typedInput(`state_${i}`));
  const feedIn = feed0.map(() => b.typedInput('feed'));
  const countIn = b.typedInput('count', 'int64');
  const doneIn = b.typedInput('done', 'bool');
  const logpIn = b.typedInput('logp');

  const e = b.op('Gather', [tgtTable, prev], { axis: 0 }, 'target_embedding/lookup'); // [B, E]
  const topState = (states: string[]): string => b.op('Squeeze', [states[(c.decoderLayers - 1) * per], b.int64([0])], {}, 'top_h'); // [B, H]
  let pre: { context: string } | null = null;
  let x = e;
  if (c.decoder === 'input-feeding') x = b.op('Concat', [e, feedIn[0]], { axis: 1 }, 'decoder_input');
  if (c.decoder === 'bahdanau') {
    const q = b.op('Unsqueeze', [topState(statesIn), b.int64([1])], {}, 'query');
    const r = attentionStep(b, att, q, H, keys, memory, offset);
    pre = { context: b.op('Squeeze', [r.context, b.int64([1])], {}, 'context') };
    x = b.op('Concat', [e, pre.context], { axis: 1 }, 'decoder_input');
  }
  const statesOut: string[] = [];
  for (let k = 0; k < c.decoderLayers; k++) {
    const w = decoderWeights[k];
    const ins = [b.op('Unsqueeze', [x, b.int64([0])], {}, `decoder/x_l${k}`), w.W, w.R, w.B, '', statesIn[k * per], ...(isLstm ? [statesIn[k * per + 1]] : [])];
    const outs = b.node(ONNX_OP[c.cell], ins, w.attributes, `decoder/${ONNX_OP[c.cell]}_l${k}`, isLstm ? 3 : 2);
    statesOut.push(outs[1], ...(isLstm ? [outs[2]] : [])); // [1, B, H]
    x = b.op('Squeeze', [outs[1], b.int64([0])], {}, `decoder/h_l${k}`);
  }
  const h = x; // top layer's output [B, H]
  const context = pre
    ? pre.context
    : b.op('Squeeze', [attentionStep(b, att, b.op('Unsqueeze', [h, b.int64([1])], {}, 'query'), H, keys, memory, offset).context, b.int64([1])], {}, 'context');
  const attentional = b.op('Tanh', [b.op('MatMul', [b.op('Concat', [h, context], { axis: 1 }, 'combine_input'), combine], {}, 'combine')], {}, 'attentional');
  const logits = b.op('Gemm', output.b ? [attentional, output.W, output.b] : [attentional, output.W], {}, 'logits');
  const lp = b.op('LogSoftmax', [logits], { axis: 1 }, 'log_probs');
  const tok = b.op('ArgMax', [lp], { axis: 1, keepdims: 0 }, 'token'); // int64 [B], first maximum (as tf.argMax)
  const tokLp = b.op('Squeeze', [b.op('GatherElements', [lp, b.op('Unsqueeze', [tok, b.int64([1])], {}, 'token_col')], { axis: 1 }, 'token_lp2'), b.int64([1])], {}, 'token_lp');
  const zeroF = b.floats('zero_f', [], [0]);
  const zeroI = b.int64([0], true);
  const isEos = b.op('Equal', [tok, b.int64([EOS_ID], true)], {}, 'is_eos');
  const logpOut = b.op('Add', [logpIn, b.op('Where', [doneIn, zeroF, tokLp], {}, 'step_lp')], {}, 'logp_out');
  const emitted = b.op('Where', [doneIn, zeroI, tok], {}, 'emitted');
  const adds = b.op('Not', [b.op('Or', [doneIn, isEos], {}, 'done_or_eos')], {}, 'adds_token');
  const countOut = b.op('Add', [countIn, b.op('Cast', [adds], { to: INT64 }, 'adds_i64')], {}, 'count_out');
  const full = b.op('GreaterOrEqual', [countOut, limit], {}, 'at_limit');
  const doneOut = b.op('Or', [b.op('Or', [doneIn, isEos], {}, 'done_eos'), full], {}, 'done_out');
  const condOut = b.op('Equal', [b.op('ReduceMin', [b.op('Cast', [doneOut], { to: INT32 }, 'done_i32')], { keepdims: 0 }, 'all_done'), b.int32Scalar(0)], {}, 'cond_out');
  b.typedOutput(condOut, 'bool');
  b.typedOutput(tok, 'int64');
  statesOut.forEach((s) => b.typedOutput(s));
  if (feedIn.length) b.typedOutput(attentional);
  b.typedOutput(countOut, 'int64');
  b.typedOutput(doneOut, 'bool');
  b.typedOutput(logpOut);
  b.typedOutput(emitted, 'int64'); // scan output: one [B] row per step

  const nCarried = 1 + initial.length + feed0.length + 3;
  const loop = g.node('Loop', [trips, cond0, prev0, ...initial, ...feed0, count0, done0, logp0], { body: { graph: b.graph('decode_step') } }, 'decode', nCarried + 1);
  const [count, , logp, steps] = loop.slice(nCarried - 3);
  g.output(g.op('Cast', [g.op('Transpose', [steps], { perm: [1, 0] }, 'tokens_batch_major')], { to: INT32 }, 'tokens_i32'), 'tokens', 'int32', ['batch', 'steps']);
  g.output(g.op('Cast', [count], { to: INT32 }, 'lengths_i32'), 'lengths', 'int32', ['batch']);
  g.output(logp, 'log_prob', 'float32', ['batch']);
  return g.encode('translator', 'rnnkit translator: greedy decoding in an ONNX Loop', options.metadata);
}
