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
 * has.
 *
 * With `beamSize` K > 1 the graph runs decode.ts's beam search instead (same
 * inputs and outputs: the best hypothesis per sentence, tokens padded with 0):
 * the Loop carries K beams per sentence and the best finished hypothesis, with
 * length normalisation (`lengthPenalty` α, fixed in the graph) and the same early
 * finish rules (see exportBeam).
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
  /** Beams per sentence: 1 (default) decodes greedily, K > 1 runs beam search in the graph. */
  beamSize?: number;
  /** Beam search's length normalisation exponent α (hypotheses ranked by log p / length^α). Default 1. */
  lengthPenalty?: number;
}

/** A tfjs Dense layer's kernel (and bias) as initializers. */
function denseWeights(g: GraphBuilder, layer: tf.layers.Layer): { W: string; b?: string } {
  const [kernel, bias] = layer.getWeights();
  return { W: g.weight(`${layer.name}/kernel`, kernel), b: bias ? g.weight(`${layer.name}/bias`, bias) : undefined };
}

/** What the encoder part of the graph gives the decoding loop. */
interface Encoded {
  /** Source lengths [rows] (int32). */
  lengths: string;
  /** Decoder states [1, rows, H] (h, then c for LSTM, per decoder layer). */
  initial: string[];
  /** Input feeding's first attentional vector (zeros [rows, H]), or none. */
  feed0: string[];
  /** The step's inputs computed once: attention keys, memory, mask offset, weights. */
  keys: ReturnType<typeof attentionKeys>;
  memory: string;
  offset: ReturnType<typeof attentionMaskOffset>;
  tgtTable: string;
  decoderWeights: { W: string; R: string; B: string; attributes: ReturnType<typeof onnxWeightsOf>['attributes'] }[];
  combine: string;
  output: { W: string; b?: string };
}

/** The encoder, bridge, attention keys and mask of source rows `src` [rows, S]: once per batch. */
function emitEncoder(g: GraphBuilder, net: Seq2Seq, src: string): Encoded {
  const c = net.config;
  const { float: mask, lengths } = padMask(g, src, 'source');
  const emb = g.op('Gather', [g.weight('source_embedding/embeddings', net.srcEmbedding.getWeights()[0]), src], { axis: 0 }, 'source_embedding/lookup');
  const enc = emitRecurrent(g, net.encoder, emb, lengths, () => ({}), true);
  const memory = enc.output; // [rows, S, 2H]
  const initial = net.bridgeInputs(enc.finals).map(([f, r], i) => {
    const { W, b } = denseWeights(g, net.bridges[i]);
    const cat = g.op('Concat', [f, r], { axis: 1 }, `bridge_${i}/concat`);
    const h = g.op('Tanh', [g.op('Gemm', b ? [cat, W, b] : [cat, W], {}, `bridge_${i}/gemm`)], {}, `bridge_${i}/tanh`);
    return g.op('Unsqueeze', [h, g.int64([0])], {}, `bridge_${i}/state`); // [1, rows, H]: the ONNX nodes' state layout
  });
  const att = net.attention;
  const decoderWeights = Array.from({ length: c.decoderLayers }, (_, k) => {
    const w = onnxWeightsOf(net.decoder, k);
    const names = { W: g.weight(`decoder/W_l${k}`, w.W), R: g.weight(`decoder/R_l${k}`, w.R), B: w.B ? g.weight(`decoder/B_l${k}`, w.B) : '', attributes: w.attributes };
    tf.dispose([w.W, w.R, ...(w.B ? [w.B] : [])]);
    return names;
  });
  const rows = g.op('Slice', [g.op('Shape', [src], {}, 'source/shape'), g.int64([0]), g.int64([1]), g.int64([0])], {}, 'source/rows');
  const feed0 =
    c.decoder === 'input-feeding'
      ? [g.op('ConstantOfShape', [g.op('Concat', [rows, g.int64([c.hidden])], { axis: 0 }, 'feed0_shape')], {}, 'feed0')] // zeros [rows, H]
      : [];
  return {
    lengths,
    initial,
    feed0,
    keys: attentionKeys(g, att, memory),
    memory,
    offset: attentionMaskOffset(g, att, mask),
    tgtTable: g.weight('target_embedding/embeddings', net.tgtEmbedding.getWeights()[0]),
    decoderWeights,
    combine: g.weight('attention_combine/kernel', net.combine.getWeights()[0]),
    output: denseWeights(g, net.output),
  };
}

/**
 * One decoder step in the loop body `b` (Seq2Seq.step): previous tokens [rows] →
 * log-probabilities [rows, V], the new states and the attentional vector.
 */
function emitStep(b: GraphBuilder, net: Seq2Seq, E: Encoded, prev: string, statesIn: string[], feedIn: string[]): { lp: string; statesOut: string[]; attentional: string } {
  const c = net.config;
  const isLstm = c.cell === 'lstm';
  const per = isLstm ? 2 : 1;
  const H = c.hidden;
  const att = net.attention;
  const e = b.op('Gather', [E.tgtTable, prev], { axis: 0 }, 'target_embedding/lookup'); // [rows, E]
  let pre: { context: string } | null = null;
  let x = e;
  if (c.decoder === 'input-feeding') x = b.op('Concat', [e, feedIn[0]], { axis: 1 }, 'decoder_input');
  if (c.decoder === 'bahdanau') {
    const top = b.op('Squeeze', [statesIn[(c.decoderLayers - 1) * per], b.int64([0])], {}, 'top_h'); // [rows, H]
    const q = b.op('Unsqueeze', [top, b.int64([1])], {}, 'query');
    const r = attentionStep(b, att, q, H, E.keys, E.memory, E.offset);
    pre = { context: b.op('Squeeze', [r.context, b.int64([1])], {}, 'context') };
    x = b.op('Concat', [e, pre.context], { axis: 1 }, 'decoder_input');
  }
  const statesOut: string[] = [];
  for (let k = 0; k < c.decoderLayers; k++) {
    const w = E.decoderWeights[k];
    const ins = [b.op('Unsqueeze', [x, b.int64([0])], {}, `decoder/x_l${k}`), w.W, w.R, w.B, '', statesIn[k * per], ...(isLstm ? [statesIn[k * per + 1]] : [])];
    const outs = b.node(ONNX_OP[c.cell], ins, w.attributes, `decoder/${ONNX_OP[c.cell]}_l${k}`, isLstm ? 3 : 2);
    statesOut.push(outs[1], ...(isLstm ? [outs[2]] : [])); // [1, rows, H]
    x = b.op('Squeeze', [outs[1], b.int64([0])], {}, `decoder/h_l${k}`);
  }
  const h = x; // top layer's output [rows, H]
  const context = pre
    ? pre.context
    : b.op('Squeeze', [attentionStep(b, att, b.op('Unsqueeze', [h, b.int64([1])], {}, 'query'), H, E.keys, E.memory, E.offset).context, b.int64([1])], {}, 'context');
  const attentional = b.op('Tanh', [b.op('MatMul', [b.op('Concat', [h, context], { axis: 1 }, 'combine_input'), E.combine], {}, 'combine')], {}, 'attentional');
  const logits = b.op('Gemm', E.output.b ? [attentional, E.output.W, E.output.b] : [attentional, E.output.W], {}, 'logits');
  return { lp: b.op('LogSoftmax', [logits], { axis: 1 }, 'log_probs'), statesOut, attentional };
}

/** Per-sentence limits min(maxLen, ⌊a·|source| + b⌋) ≥ 1 of source lengths [N] (int32), and the loop's trip count. */
function emitLimits(g: GraphBuilder, lengths: string, options: TranslatorExportOptions): { limit: string; trips: string; lenF: string } {
  const lenF = g.op('Cast', [lengths], { to: FLOAT }, 'source/length_f');
  const raw = g.op('Floor', [g.op('Add', [g.op('Mul', [lenF, g.floats('max_len_a', [], [options.maxLenA])], {}, 'limit_a'), g.floats('max_len_b', [], [options.maxLenB])], {}, 'limit_ab')], {}, 'limit_floor');
  const limitF = g.op('Max', [g.op('Min', [raw, g.floats('max_len', [], [options.maxLen])], {}, 'limit_min'), g.floats('one', [], [1])], {}, 'limit_f');
  const limit = g.op('Cast', [limitF], { to: INT64 }, 'limit'); // [N]
  const trips = g.op('Cast', [g.op('ReduceMax', [limitF], { keepdims: 0 }, 'limit_max')], { to: INT64 }, 'trip_count');
  return { limit, trips, lenF };
}

/** The translator graph (see the file comment): greedy, or beam search with `beamSize` > 1. */
export function exportTranslator(net: Seq2Seq, options: TranslatorExportOptions): Uint8Array {
  const K = options.beamSize ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new Error(`beamSize must be a positive integer, got ${String(K)}`);
  return K > 1 ? exportBeam(net, options, K) : exportGreedy(net, options);
}

function exportGreedy(net: Seq2Seq, options: TranslatorExportOptions): Uint8Array {
  const g = new GraphBuilder();
  const src = g.input('source_ids', 'int32', ['batch', 'source_time']);
  const E = emitEncoder(g, net, src);
  const lengths = E.lengths;
  const { limit, trips, lenF } = emitLimits(g, lengths, options);
  const zerosI64 = g.op('Mul', [g.op('Cast', [lengths], { to: INT64 }, 'length_i64'), g.int64([0], true)], {}, 'zeros_i64'); // [B]
  const prev0 = g.op('Add', [zerosI64, g.int64([SOS_ID], true)], {}, 'sos');
  const count0 = g.op('Identity', [zerosI64], {}, 'count0');
  const done0 = g.op('Less', [lengths, g.int32Scalar(0)], {}, 'done0'); // all false
  const logp0 = g.op('Mul', [lenF, g.floats('zero', [], [0])], {}, 'logp0');
  const cond0 = g.op('Greater', [trips, g.int64([0], true)], {}, 'cond0');

  // ---- the loop body: one decoder step ----
  const b = new GraphBuilder(g);
  b.typedInput('iteration', 'int64', []);
  b.typedInput('cond_in', 'bool', []);
  const prev = b.typedInput('prev', 'int64');
  const statesIn = E.initial.map((_, i) => b.typedInput(`state_${i}`));
  const feedIn = E.feed0.map(() => b.typedInput('feed'));
  const countIn = b.typedInput('count', 'int64');
  const doneIn = b.typedInput('done', 'bool');
  const logpIn = b.typedInput('logp');
  const { lp, statesOut, attentional } = emitStep(b, net, E, prev, statesIn, feedIn);
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

  const nCarried = 1 + E.initial.length + E.feed0.length + 3;
  const loop = g.node('Loop', [trips, cond0, prev0, ...E.initial, ...E.feed0, count0, done0, logp0], { body: { graph: b.graph('decode_step') } }, 'decode', nCarried + 1);
  const [count, , logp, steps] = loop.slice(nCarried - 3);
  g.output(g.op('Cast', [g.op('Transpose', [steps], { perm: [1, 0] }, 'tokens_batch_major')], { to: INT32 }, 'tokens_i32'), 'tokens', 'int32', ['batch', 'steps']);
  g.output(g.op('Cast', [count], { to: INT32 }, 'lengths_i32'), 'lengths', 'int32', ['batch']);
  g.output(logp, 'log_prob', 'float32', ['batch']);
  return g.encode('translator', 'rnnkit translator: greedy decoding in an ONNX Loop', options.metadata);
}

/**
 * Beam search (decode.ts's beamSearch) in the graph: the source rows are tiled K
 * times (rows n·K .. n·K+K−1 are sentence n's beams) and the Loop carries, besides
 * the decoder states, each beam's log-probability [N, K] (−1e30: dead) and tokens
 * [N·K, T], and per sentence: done, the number of finished hypotheses, and the best
 * finished one (score, log-probability, length, tokens). A step keeps the best 2K
 * of the K·V continuations (TopK), finishes an <eos> among the first K (score
 * log p / (t+1)^α), extends the first K other tokens, and ends a sentence when it
 * has K finished hypotheses, at its limit (its live beams finished as they are), or
 * when no live beam can beat its best (log p / (limit+1)^α ≤ best). Ties go to the
 * first in decode.ts's order (best so far, <eos> candidates, then the live beams).
 */
function exportBeam(net: Seq2Seq, options: TranslatorExportOptions, K: number): Uint8Array {
  const alpha = options.lengthPenalty ?? 1;
  const V = net.output.getWeights()[0].shape[1] as number;
  const C = Math.min(2 * K, K * V);
  const g = new GraphBuilder();
  const src = g.input('source_ids', 'int32', ['batch', 'source_time']);
  const { lengths } = padMask(g, src, 'sentence');
  const { limit, trips, lenF } = emitLimits(g, lengths, options);
  const N = g.op('Gather', [g.op('Shape', [src], {}, 'sentence/shape'), g.int64([0], true)], { axis: 0 }, 'sentences'); // scalar
  const NK = g.op('Mul', [N, g.int64([K], true)], {}, 'rows');
  const tile = g.op('Div', [g.op('Range', [g.int64([0], true), NK, g.int64([1], true)], {}, 'row_range'), g.int64([K], true)], {}, 'tile'); // row → sentence
  const rowsSrc = g.op('Gather', [src, tile], { axis: 0 }, 'source_rows'); // [N·K, S]
  const E = emitEncoder(g, net, rowsSrc);
  const base = g.op('Unsqueeze', [g.op('Mul', [g.op('Range', [g.int64([0], true), N, g.int64([1], true)], {}, 'sentence_range'), g.int64([K], true)], {}, 'first_row'), g.int64([1])], {}, 'first_row2'); // [N, 1]: n·K
  const zerosF = g.op('Mul', [lenF, g.floats('zero', [], [0])], {}, 'zeros_f'); // [N]
  const zerosI64 = g.op('Cast', [zerosF], { to: INT64 }, 'zeros_i64'); // [N]
  const negInf = g.floats('neg_inf', [], [-Infinity]);
  const prev0 = g.op('Add', [g.op('Mul', [tile, g.int64([0], true)], {}, 'row_zeros'), g.int64([SOS_ID], true)], {}, 'sos'); // [N·K]
  const beamLp0 = g.op('Add', [g.op('Unsqueeze', [zerosF, g.int64([1])], {}, 'zeros_f2'), g.floats('beam_lp0', [1, K], [0, ...new Array(K - 1).fill(-1e30)])], {}, 'beam_lp0_n'); // only beam 0 alive
  const hist0 = g.op('Cast', [g.op('ConstantOfShape', [g.op('Concat', [g.op('Unsqueeze', [NK, g.int64([0])], {}, 'rows1'), g.op('Unsqueeze', [trips, g.int64([0])], {}, 'trips1')], { axis: 0 }, 'hist_shape')], {}, 'hist0_f')], { to: INT64 }, 'hist0');
  const bestTok0 = g.op('Cast', [g.op('ConstantOfShape', [g.op('Concat', [g.op('Unsqueeze', [N, g.int64([0])], {}, 'n1'), g.op('Unsqueeze', [trips, g.int64([0])], {}, 'trips1b')], { axis: 0 }, 'best_shape')], {}, 'best0_f')], { to: INT64 }, 'best_tokens0');
  const done0 = g.op('Less', [lengths, g.int32Scalar(0)], {}, 'done0'); // all false
  const nFin0 = g.op('Identity', [zerosI64], {}, 'finished0');
  const bestScore0 = g.op('Add', [zerosF, negInf], {}, 'best_score0');
  const bestLp0 = g.op('Identity', [bestScore0], {}, 'best_lp0');
  const bestLen0 = g.op('Identity', [zerosI64], {}, 'best_len0');
  const cond0 = g.op('Greater', [trips, g.int64([0], true)], {}, 'cond0');
  const cRange = g.int64(Array.from({ length: C }, (_, i) => i)); // [C]
  const firstK = g.op('Less', [cRange, g.int64([K], true)], {}, 'first_k'); // [C]: c < K
  const slots = g.op('Reshape', [g.int64(Array.from({ length: K }, (_, i) => i)), g.int64([1, K, 1])], {}, 'slots'); // [1, K, 1]
  // length^α as a float: Pow(len, α) (α = 1: len itself)
  const normBy = (bb: GraphBuilder, lenF32: string, name: string): string => (alpha === 1 ? lenF32 : bb.op('Pow', [lenF32, bb.floats(`${name}_alpha`, [], [alpha])], {}, `${name}_pow`));
  const norm = (bb: GraphBuilder, lp: string, lenF32: string, name: string): string => (alpha === 0 ? lp : bb.op('Div', [lp, normBy(bb, lenF32, name)], {}, name));
  const limitNorm = g.op('Unsqueeze', [g.op('Cast', [g.op('Add', [limit, g.int64([1], true)], {}, 'limit_eos')], { to: FLOAT }, 'limit_eos_f'), g.int64([1])], {}, 'limit_eos_f2'); // [N, 1]

  // ---- the loop body: one beam step ----
  const b = new GraphBuilder(g);
  const t = b.typedInput('iteration', 'int64', []);
  b.typedInput('cond_in', 'bool', []);
  const prev = b.typedInput('prev', 'int64');
  const statesIn = E.initial.map((_, i) => b.typedInput(`state_${i}`));
  const feedIn = E.feed0.map(() => b.typedInput('feed'));
  const beamLp = b.typedInput('beam_lp'); // [N, K]
  const hist = b.typedInput('history', 'int64'); // [N·K, T]
  const doneIn = b.typedInput('done', 'bool'); // [N]
  const nFin = b.typedInput('finished', 'int64'); // [N]
  const bestScore = b.typedInput('best_score'); // [N]
  const bestLp = b.typedInput('best_lp'); // [N]
  const bestLen = b.typedInput('best_len', 'int64'); // [N]
  const bestTok = b.typedInput('best_tokens', 'int64'); // [N, T]

  const u1 = b.int64([1]);
  const unsq = (x: string, axis: number, name: string): string => b.op('Unsqueeze', [x, b.int64([axis])], {}, name);
  const sq1 = (x: string, name: string): string => b.op('Squeeze', [x, u1], {}, name);
  const { lp, statesOut, attentional } = emitStep(b, net, E, prev, statesIn, feedIn);
  const total = b.op('Reshape', [b.op('Add', [b.op('Reshape', [lp, b.int64([-1, K, V])], {}, 'lp3'), unsq(beamLp, 2, 'beam_lp3')], {}, 'total3'), b.int64([-1, K * V])], {}, 'total'); // [N, K·V]
  const [vals, idx] = b.node('TopK', [total, b.int64([C])], { axis: 1, largest: 1, sorted: 1 }, 'top', 2); // [N, C]
  const beam = b.op('Div', [idx, b.int64([V], true)], {}, 'cand_beam');
  const tok = b.op('Mod', [idx, b.int64([V], true)], {}, 'cand_token');
  const valid = b.op('Not', [b.op('Less', [vals, b.floats('dead', [], [-1e29])], {}, 'cand_dead')], {}, 'cand_valid');
  const eos = b.op('Equal', [tok, b.int64([EOS_ID], true)], {}, 'cand_eos');
  const liveN = unsq(b.op('Not', [doneIn], {}, 'live'), 1, 'live2'); // [N, 1]
  const finEos = b.op('And', [b.op('And', [b.op('And', [valid, eos], {}, 'valid_eos'), firstK], {}, 'eos_first_k'), liveN], {}, 'finishes'); // [N, C]
  const ext = b.op('And', [b.op('And', [valid, b.op('Not', [eos], {}, 'not_eos')], {}, 'valid_word'), liveN], {}, 'extends');
  const rank = b.op('CumSum', [b.op('Cast', [ext], { to: INT64 }, 'extends_i64'), b.int64([1], true)], { exclusive: 1 }, 'rank'); // extensions before c
  const sel = b.op('And', [ext, b.op('Less', [rank, b.int64([K], true)], {}, 'rank_k')], {}, 'selected');
  const slotOf = b.op('Cast', [b.op('And', [unsq(sel, 1, 'selected3'), b.op('Equal', [unsq(rank, 1, 'rank3'), slots], {}, 'rank_slot')], {}, 'slot_cand')], { to: INT32 }, 'slot_cand_i32'); // [N, K, C]
  const has = b.op('Greater', [b.op('ReduceMax', [slotOf], { axes: [2], keepdims: 0 }, 'slot_any'), b.int32Scalar(0)], {}, 'has'); // [N, K]
  const chosen = b.op('ArgMax', [slotOf], { axis: 2, keepdims: 0 }, 'chosen'); // [N, K]
  const sLp = b.op('GatherElements', [vals, chosen], { axis: 1 }, 'slot_lp');
  const sBeam = b.op('GatherElements', [beam, chosen], { axis: 1 }, 'slot_beam');
  const sTok = b.op('GatherElements', [tok, chosen], { axis: 1 }, 'slot_token');
  const parents = b.op('Reshape', [b.op('Add', [base, sBeam], {}, 'parents2'), b.int64([-1])], {}, 'parents'); // [N·K] global rows

  const t1 = b.op('Add', [t, b.int64([1], true)], {}, 't1');
  const t1F = b.op('Cast', [t1], { to: FLOAT }, 't1_f');
  const eosScore = b.op('Where', [finEos, norm(b, vals, t1F, 'eos_norm'), negInf], {}, 'eos_score'); // [N, C]
  const nFinOut = b.op('Add', [nFin, b.op('ReduceSum', [b.op('Cast', [finEos], { to: INT64 }, 'finishes_i64'), u1], { keepdims: 0 }, 'finishes_n')], {}, 'finished_out');
  const bestDone = b.op('Max', [bestScore, b.op('ReduceMax', [eosScore], { axes: [1], keepdims: 0 }, 'eos_best')], {}, 'best_done');
  const atLimit = b.op('GreaterOrEqual', [t1, limit], {}, 'at_limit'); // [N]
  const cannotBeat = b.op('Or', [b.op('Not', [has], {}, 'empty_slot'), b.op('LessOrEqual', [norm(b, sLp, limitNorm, 'hope_norm'), unsq(bestDone, 1, 'best_done2')], {}, 'below_best')], {}, 'cannot_beat');
  const hopeless = b.op('And', [b.op('Greater', [bestDone, negInf], {}, 'any_finished'), b.op('Equal', [b.op('ReduceMin', [b.op('Cast', [cannotBeat], { to: INT32 }, 'cannot_beat_i32')], { axes: [1], keepdims: 0 }, 'none_can'), b.int32Scalar(1)], {}, 'none_can_b')], {}, 'hopeless');
  const ends = b.op('Or', [b.op('Or', [b.op('GreaterOrEqual', [nFinOut, b.int64([K], true)], {}, 'k_finished'), atLimit], {}, 'k_or_limit'), hopeless], {}, 'ends');
  const doneOut = b.op('Or', [doneIn, b.op('And', [ends, b.op('Not', [doneIn], {}, 'live_n')], {}, 'ends_now')], {}, 'done_out');
  const liveScore = b.op('Where', [b.op('And', [unsq(atLimit, 1, 'at_limit2'), has], {}, 'limit_finishes'), norm(b, sLp, t1F, 'live_norm'), negInf], {}, 'live_score'); // [N, K]

  // The history: parents' tokens, then this step's token in column t.
  const colT = unsq(b.op('Equal', [b.op('Range', [b.int64([0], true), trips, b.int64([1], true)], {}, 'columns'), t], {}, 'column_t'), 0, 'column_t2'); // [1, T]
  const prevOut = b.op('Reshape', [sTok, b.int64([-1])], {}, 'prev_out');
  const histOut = b.op('Where', [colT, unsq(prevOut, 1, 'prev_col'), b.op('Gather', [hist, parents], { axis: 0 }, 'parent_history')], {}, 'history_out');

  // The best finished hypothesis: the first maximum of [best so far, <eos> candidates, live beams at the limit].
  const candScore = b.op('Concat', [unsq(bestScore, 1, 'best_score2'), eosScore, liveScore], { axis: 1 }, 'cand_score');
  const w = b.op('ArgMax', [candScore], { axis: 1, keepdims: 1 }, 'winner'); // [N, 1]
  const pick = (x: string, name: string): string => sq1(b.op('GatherElements', [x, w], { axis: 1 }, `${name}2`), name);
  const zNC = b.op('Mul', [idx, b.int64([0], true)], {}, 'zeros_nc');
  const zNK = b.op('Mul', [sBeam, b.int64([0], true)], {}, 'zeros_nk');
  const bestScoreOut = pick(candScore, 'best_score_out');
  const bestLpOut = pick(b.op('Concat', [unsq(bestLp, 1, 'best_lp2'), vals, sLp], { axis: 1 }, 'cand_lp'), 'best_lp_out');
  const bestLenOut = pick(b.op('Concat', [unsq(bestLen, 1, 'best_len2'), b.op('Add', [zNC, t], {}, 'eos_len'), b.op('Add', [zNK, t1], {}, 'live_len')], { axis: 1 }, 'cand_len'), 'best_len_out');
  const wm1 = b.op('Sub', [w, b.int64([1], true)], {}, 'winner_c'); // [N, 1]
  const clampTo = (x: string, hi: number, name: string): string => b.op('Max', [b.op('Min', [x, b.int64([hi], true)], {}, `${name}_min`), b.int64([0], true)], {}, name);
  const eosRow = b.op('Add', [base, b.op('GatherElements', [beam, clampTo(wm1, C - 1, 'winner_eos')], { axis: 1 }, 'winner_beam')], {}, 'winner_eos_row'); // [N, 1]
  const liveRow = b.op('Add', [base, clampTo(b.op('Sub', [wm1, b.int64([C], true)], {}, 'winner_live'), K - 1, 'winner_slot')], {}, 'winner_live_row');
  const eosTokens = b.op('Gather', [hist, sq1(eosRow, 'winner_eos_row1')], { axis: 0 }, 'winner_eos_tokens'); // [N, T]
  const liveTokens = b.op('Gather', [histOut, sq1(liveRow, 'winner_live_row1')], { axis: 0 }, 'winner_live_tokens');
  const bestTokOut = b.op(
    'Where',
    [b.op('Equal', [w, b.int64([0], true)], {}, 'keeps_best'), bestTok, b.op('Where', [b.op('LessOrEqual', [w, b.int64([C], true)], {}, 'winner_is_eos'), eosTokens, liveTokens], {}, 'winner_tokens')],
    {},
    'best_tokens_out',
  );
  const beamLpOut = b.op('Where', [b.op('And', [has, b.op('Not', [unsq(doneOut, 1, 'done_out2')], {}, 'still_live')], {}, 'alive'), sLp, b.floats('dead_lp', [], [-1e30])], {}, 'beam_lp_out');
  const condOut = b.op('Equal', [b.op('ReduceMin', [b.op('Cast', [doneOut], { to: INT32 }, 'done_i32')], { keepdims: 0 }, 'all_done'), b.int32Scalar(0)], {}, 'cond_out');
  b.typedOutput(condOut, 'bool');
  b.typedOutput(prevOut, 'int64');
  statesOut.forEach((s, i) => b.typedOutput(b.op('Gather', [s, parents], { axis: 1 }, `state_out_${i}`)));
  if (feedIn.length) b.typedOutput(b.op('Gather', [attentional, parents], { axis: 0 }, 'feed_out'));
  b.typedOutput(beamLpOut);
  b.typedOutput(histOut, 'int64');
  b.typedOutput(doneOut, 'bool');
  b.typedOutput(nFinOut, 'int64');
  b.typedOutput(bestScoreOut);
  b.typedOutput(bestLpOut);
  b.typedOutput(bestLenOut, 'int64');
  b.typedOutput(bestTokOut, 'int64');

  const carried = [prev0, ...E.initial, ...E.feed0, beamLp0, hist0, done0, nFin0, bestScore0, bestLp0, bestLen0, bestTok0];
  const loop = g.node('Loop', [trips, cond0, ...carried], { body: { graph: b.graph('beam_step') } }, 'beam_search', carried.length);
  const [logp, len, tokens] = loop.slice(carried.length - 3);
  g.output(g.op('Cast', [tokens], { to: INT32 }, 'tokens_i32'), 'tokens', 'int32', ['batch', 'steps']);
  g.output(g.op('Cast', [len], { to: INT32 }, 'lengths_i32'), 'lengths', 'int32', ['batch']);
  g.output(logp, 'log_prob', 'float32', ['batch']);
  return g.encode('translator', `rnnkit translator: beam search (${K} beams, length penalty ${alpha}) in an ONNX Loop`, options.metadata);
}
