/**
 * ONNX emitters of the attention layer (layers/attention.ts: dot, general,
 * additive; scaled; masked by a mask input or the keys' padding) → MatMul /
 * Softmax, returning the context and the weights; and the pieces the
 * translator's one-graph decoder reuses (tasks/translate/onnx.ts).
 */
import { Attention } from '../../layers/attention';
import { NodeLike, registerEmitter, Value } from './emitters';
import type { GraphBuilder } from './graph';

/** The keys as the attention score needs them (Attention.prepareKeys): dot: keys; general: keys·W [B, S, Dq]; additive: keys·Wk [B, S, U]. */
export function attentionKeys(g: GraphBuilder, layer: Attention, keys: string): string {
  const n = layer.name;
  if (layer.score === 'dot') return keys;
  const W = layer.score === 'general' ? layer.kernel! : layer.keyKernel!;
  return g.op('MatMul', [keys, g.weight(`${n}/${layer.score === 'general' ? 'kernel' : 'key_kernel'}`, W.read())], {}, `${n}/keys_proj`);
}

/** The score offset of masked source positions, (1 − m)·(−1e9) [B, 1, S], from a float mask [B, S]. */
export function attentionMaskOffset(g: GraphBuilder, layer: Attention, mask: string): string {
  const n = layer.name;
  const m = g.op('Unsqueeze', [mask, g.int64([1])], {}, `${n}/mask3`);
  return g.op('Mul', [g.op('Sub', [g.floats(`${n}/one`, [], [1]), m], {}, `${n}/pad`), g.floats(`${n}/masked`, [], [-1e9])], {}, `${n}/offset`);
}

/**
 * Attention of queries q [B, T, Dq] over prepared keys (attentionKeys) and values
 * [B, S, Dv], with an optional mask offset (attentionMaskOffset): the arithmetic of
 * Attention.attend. Returns context [B, T, Dv] and weights [B, T, S].
 */
export function attentionStep(g: GraphBuilder, layer: Attention, q: string, Dq: number, prepared: string, values: string, offset?: string): { context: string; weights: string } {
  const n = layer.name;
  let scores: string; // [B, T, S]
  if (layer.score === 'additive') {
    const Wq = g.weight(`${n}/query_kernel`, layer.queryKernel!.read());
    const v = g.weight(`${n}/score_vector`, layer.scoreVector!.read());
    const qp = g.op('Unsqueeze', [g.op('MatMul', [q, Wq], {}, `${n}/query_proj`), g.int64([2])], {}, `${n}/query_proj4`); // [B, T, 1, U]
    const kp = g.op('Unsqueeze', [prepared, g.int64([1])], {}, `${n}/key_proj4`); // [B, 1, S, U]
    const hidden = g.op('Tanh', [g.op('Add', [qp, kp], {}, `${n}/hidden_pre`)], {}, `${n}/hidden`); // [B, T, S, U]
    scores = g.op('Squeeze', [g.op('MatMul', [hidden, v], {}, `${n}/scores4`), g.int64([3])], {}, `${n}/scores`);
  } else {
    scores = g.op('MatMul', [q, g.op('Transpose', [prepared], { perm: [0, 2, 1] }, `${n}/keys_t`)], {}, `${n}/scores_raw`);
    if (layer.scale) scores = g.op('Mul', [scores, g.floats(`${n}/scale`, [], [1 / Math.sqrt(Dq)])], {}, `${n}/scores`);
  }
  if (offset) scores = g.op('Add', [scores, offset], {}, `${n}/scores_masked`);
  const weights = g.op('Softmax', [scores], { axis: -1 }, `${n}/weights_seq`);
  return { context: g.op('MatMul', [weights, values], {}, `${n}/context_seq`), weights };
}

/**
 * The attention layer (layers/attention.ts) on query [B, T, Dq] or [B, Dq], keys
 * [B, S, Dk] and values (default the keys), masked by a mask input or the keys' padding.
 */
function emitAttention(g: GraphBuilder, layer: Attention, ins: Value[], node: NodeLike): Value[] {
  const n = layer.name;
  const [q0, keys] = ins;
  const values = ins[2] ?? keys;
  const maskFloat = ins[3]?.name ?? keys.mask?.float; // a mask input, else the keys' padding
  const qShape = node.inputTensors[0].shape;
  const step = qShape.length === 2;
  const q = step ? g.op('Unsqueeze', [q0.name, g.int64([1])], {}, `${n}/query_seq`) : q0.name; // [B, T, Dq]
  const offset = maskFloat ? attentionMaskOffset(g, layer, maskFloat) : undefined;
  let { context, weights } = attentionStep(g, layer, q, qShape[qShape.length - 1] as number, attentionKeys(g, layer, keys.name), values.name, offset);
  if (step) {
    weights = g.op('Squeeze', [weights, g.int64([1])], {}, `${n}/weights`);
    context = g.op('Squeeze', [context, g.int64([1])], {}, `${n}/context`);
  }
  return [{ name: context }, { name: weights }];
}

registerEmitter(Attention.className, emitAttention);
