/**
 * The captioner as one ONNX file that captions: images → greedy caption tokens,
 * for onnxruntime (Node, the browser, mobile, C++) with no decoding loop on the
 * caller's side (the translator's pattern, tasks/translate/onnx.ts).
 *
 *   inputs   image     float [batch, S, S, C]  pixels in [0, 1] (the model input
 *                                             without the coordinate channels)
 *   outputs  tokens    int32 [batch, steps]   word ids; <eos> where a caption
 *                                             ended, 0 after it
 *            lengths   int32 [batch]          words per caption (without <eos>)
 *            log_prob  float [batch]          log-probability of the greedy
 *                                             choices (decode.ts greedyDecode's)
 *
 * The graph is model.ts's encoder and decode.ts's greedy decoding in standard
 * ops: the coordinate channels (a constant, expanded to the batch), per block a
 * Conv 3×3 (pads 1) + Relu + MaxPool 2×2 in NCHW, the grid as memory [B, G·G, F],
 * its mean through the bridges (Tanh ∘ Gemm) as the initial states, the attention
 * keys once; then an ONNX `Loop` of maxLen + 1 steps whose body is Captioner.step
 * (embedding Gather, one LSTM/GRU node on a length-1 sequence with the carried
 * states, scaled 'general' attention over the cells, the combination layer, the
 * output layer, LogSoftmax, ArgMax). A caption stops at <eos> or after maxLen
 * words (the step at the limit adds its log-probability, not its word, as
 * greedyDecode does); the loop stops when every caption has. Greedy only.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionKeys, attentionStep } from '../../src/onnx/attention_emitters';
import { GraphBuilder } from '../../src/onnx/graph';
import { ONNX_OP, onnxWeightsOf } from '../../src/onnx/recurrent';
import { EOS_ID, SOS_ID } from './data';
import { Captioner } from './model';

const INT32 = 6;
const INT64 = 7;

export interface CaptionerExportOptions {
  /** Longest caption in words (the config's maxLen). */
  maxLen: number;
  /** Key/value strings for the file's metadata_props (a checkpoint's artifacts). */
  metadata?: Record<string, string>;
}

/** A tfjs Dense layer's kernel (and bias) as initializers. */
function denseWeights(g: GraphBuilder, layer: tf.layers.Layer): { W: string; b?: string } {
  const [kernel, bias] = layer.getWeights();
  return { W: g.weight(`${layer.name}/kernel`, kernel), b: bias ? g.weight(`${layer.name}/bias`, bias) : undefined };
}

/** Coordinate channels [1, S, S, 2] as model.ts makes them (x, y in [−1, 1]). */
function coordinateValues(S: number): number[] {
  const v = new Array<number>(S * S * 2);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    v[(y * S + x) * 2] = (2 * x) / (S - 1) - 1;
    v[(y * S + x) * 2 + 1] = (2 * y) / (S - 1) - 1;
  }
  return v;
}

/** The captioner graph (see the file comment). */
export function exportCaptioner(net: Captioner, options: CaptionerExportOptions): Uint8Array {
  const c = net.config;
  const S = c.imageSize;
  const H = c.hidden;
  const isLstm = c.cell === 'lstm';
  const g = new GraphBuilder();
  const image = g.input('image', 'float32', ['batch', S, S, c.channels]);

  // ---- encoder (Captioner.encode) ----
  const shape = g.op('Shape', [image], {}, 'image/shape');
  const rows = g.op('Slice', [shape, g.int64([0]), g.int64([1]), g.int64([0])], {}, 'image/rows'); // [1] int64
  const coords = g.op('Expand', [g.floats('coordinates', [1, S, S, 2], coordinateValues(S)), g.op('Concat', [rows, g.int64([S, S, 2])], { axis: 0 }, 'coordinates/shape')], {}, 'coordinates/batch');
  let x = g.op('Transpose', [g.op('Concat', [image, coords], { axis: 3 }, 'image_with_coordinates')], { perm: [0, 3, 1, 2] }, 'nchw');
  net.convs.forEach((conv, i) => {
    const [k, bias] = conv.getWeights(); // [3, 3, Cin, F], [F]
    const kt = tf.transpose(k, [3, 2, 0, 1]); // ONNX [F, Cin, 3, 3]
    const W = g.weight(`conv_${i}/kernel`, kt);
    kt.dispose();
    const y = g.op('Conv', [x, W, g.weight(`conv_${i}/bias`, bias)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }, `conv_${i}`);
    x = g.op('MaxPool', [g.op('Relu', [y], {}, `conv_${i}/relu`)], { kernel_shape: [2, 2], strides: [2, 2] }, `pool_${i}`);
  });
  const F = c.encoderWidth << (c.encoderDepth - 1);
  const grid = g.op('Transpose', [x], { perm: [0, 2, 3, 1] }, 'grid'); // [B, G, G, F]
  const memory = g.op('Reshape', [grid, g.int64([0, -1, F])], {}, 'memory'); // [B, G·G, F], cells row-major
  const mean = g.op('ReduceMean', [memory], { axes: [1], keepdims: 0 }, 'mean_feature'); // [B, F]
  const initial = net.bridges.map((layer, i) => {
    const { W, b } = denseWeights(g, layer);
    const h = g.op('Tanh', [g.op('Gemm', b ? [mean, W, b] : [mean, W], {}, `bridge_${i}/gemm`)], {}, `bridge_${i}/tanh`);
    return g.op('Unsqueeze', [h, g.int64([0])], {}, `bridge_${i}/state`); // [1, B, H]: the ONNX nodes' state layout
  });
  const keys = attentionKeys(g, net.attention, memory);
  const w = onnxWeightsOf(net.decoder, 0);
  const dec = { W: g.weight('decoder/W', w.W), R: g.weight('decoder/R', w.R), B: w.B ? g.weight('decoder/B', w.B) : '' };
  tf.dispose([w.W, w.R, ...(w.B ? [w.B] : [])]);
  const table = g.weight('embedding/embeddings', net.embedding.getWeights()[0]);
  const combine = g.weight('attention_combine/kernel', net.combine.getWeights()[0]);
  const output = denseWeights(g, net.output);

  const zerosF = g.op('ConstantOfShape', [rows], {}, 'zeros_f'); // float zeros [B]
  const zerosI64 = g.op('Cast', [zerosF], { to: INT64 }, 'zeros_i64');
  const prev0 = g.op('Add', [zerosI64, g.int64([SOS_ID], true)], {}, 'sos');
  const count0 = g.op('Identity', [zerosI64], {}, 'count0');
  const done0 = g.op('Less', [zerosI64, g.int64([0], true)], {}, 'done0'); // all false
  const logp0 = g.op('Identity', [zerosF], {}, 'logp0');
  const trips = g.int64([options.maxLen + 1], true);
  const cond0 = g.op('Greater', [trips, g.int64([0], true)], {}, 'cond0');

  // ---- the loop body: one decoder step (Captioner.step) ----
  const b = new GraphBuilder(g);
  const iteration = b.typedInput('iteration', 'int64', []);
  b.typedInput('cond_in', 'bool', []);
  const prev = b.typedInput('prev', 'int64');
  const statesIn = initial.map((_, i) => b.typedInput(`state_${i}`));
  const countIn = b.typedInput('count', 'int64');
  const doneIn = b.typedInput('done', 'bool');
  const logpIn = b.typedInput('logp');
  const e = b.op('Gather', [table, prev], { axis: 0 }, 'embedding/lookup'); // [B, E]
  const ins = [b.op('Unsqueeze', [e, b.int64([0])], {}, 'decoder/x'), dec.W, dec.R, dec.B, '', statesIn[0], ...(isLstm ? [statesIn[1]] : [])];
  const outs = b.node(ONNX_OP[c.cell], ins, w.attributes, `decoder/${ONNX_OP[c.cell]}`, isLstm ? 3 : 2);
  const statesOut = [outs[1], ...(isLstm ? [outs[2]] : [])];
  const h = b.op('Squeeze', [outs[1], b.int64([0])], {}, 'decoder/h'); // [B, H]
  const att = attentionStep(b, net.attention, b.op('Unsqueeze', [h, b.int64([1])], {}, 'query'), H, keys, memory);
  const context = b.op('Squeeze', [att.context, b.int64([1])], {}, 'context');
  const attentional = b.op('Tanh', [b.op('MatMul', [b.op('Concat', [h, context], { axis: 1 }, 'combine_input'), combine], {}, 'combine')], {}, 'attentional');
  const logits = b.op('Gemm', output.b ? [attentional, output.W, output.b] : [attentional, output.W], {}, 'logits');
  const lp = b.op('LogSoftmax', [logits], { axis: 1 }, 'log_probs');
  const tok = b.op('ArgMax', [lp], { axis: 1, keepdims: 0 }, 'token'); // int64 [B], first maximum (as tf.argMax)
  const tokLp = b.op('Squeeze', [b.op('GatherElements', [lp, b.op('Unsqueeze', [tok, b.int64([1])], {}, 'token_col')], { axis: 1 }, 'token_lp2'), b.int64([1])], {}, 'token_lp');
  const zeroF = b.floats('zero_f', [], [0]);
  const zeroI = b.int64([0], true);
  const isEos = b.op('Equal', [tok, b.int64([EOS_ID], true)], {}, 'is_eos');
  const atLimit = b.op('Equal', [iteration, b.int64([options.maxLen], true)], {}, 'at_limit'); // the step after maxLen words
  const logpOut = b.op('Add', [logpIn, b.op('Where', [doneIn, zeroF, tokLp], {}, 'step_lp')], {}, 'logp_out');
  const ends = b.op('Or', [b.op('Or', [doneIn, isEos], {}, 'done_or_eos'), atLimit], {}, 'done_out');
  const emitted = b.op('Where', [doneIn, zeroI, tok], {}, 'emitted');
  const countOut = b.op('Add', [countIn, b.op('Cast', [b.op('Not', [ends], {}, 'adds_word')], { to: INT64 }, 'adds_i64')], {}, 'count_out');
  const condOut = b.op('Equal', [b.op('ReduceMin', [b.op('Cast', [ends], { to: INT32 }, 'done_i32')], { keepdims: 0 }, 'all_done'), b.int32Scalar(0)], {}, 'cond_out');
  b.typedOutput(condOut, 'bool');
  b.typedOutput(tok, 'int64');
  statesOut.forEach((s) => b.typedOutput(s));
  b.typedOutput(countOut, 'int64');
  b.typedOutput(ends, 'bool');
  b.typedOutput(logpOut);
  b.typedOutput(emitted, 'int64'); // scan output: one [B] row per step

  const nCarried = 1 + initial.length + 3;
  const loop = g.node('Loop', [trips, cond0, prev0, ...initial, count0, done0, logp0], { body: { graph: b.graph('caption_step') } }, 'decode', nCarried + 1);
  const [count, , logp, steps] = loop.slice(nCarried - 3);
  g.output(g.op('Cast', [g.op('Transpose', [steps], { perm: [1, 0] }, 'tokens_batch_major')], { to: INT32 }, 'tokens_i32'), 'tokens', 'int32', ['batch', 'steps']);
  g.output(g.op('Cast', [count], { to: INT32 }, 'lengths_i32'), 'lengths', 'int32', ['batch']);
  g.output(logp, 'log_prob', 'float32', ['batch']);
  return g.encode('captioner', 'rnnkit captioner: CNN encoder + greedy attention decoding in an ONNX Loop', options.metadata);
}

/** The graph's outputs as decodings: the words of each caption and its log-probability. */
export function readCaptionerOutput(got: Record<string, tf.Tensor>): { tokens: number[]; logProb: number }[] {
  const tokens = got.tokens.arraySync() as number[][];
  const lengths = got.lengths.dataSync();
  const logp = got.log_prob.dataSync();
  return tokens.map((row, r) => ({ tokens: row.slice(0, lengths[r]), logProb: logp[r] }));
}
