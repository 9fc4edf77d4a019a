/**
 * The table ONNX export looks layers up in: layer class name → emitter (the ONNX
 * nodes of one call of that layer). Each layer family registers its own:
 * recurrent_emitters.ts (this package's RNN / LSTM / GRU / stacked /
 * bidirectional), attention_emitters.ts (Attention), core_emitters.ts
 * (embedding, pooling, RowGather, padding mask, dropout, and the tfjs layers
 * Dense, Activation, Softmax, Concatenate, Add, Flatten). A new layer registers
 * with `registerEmitter` next to its family; export.ts walks the graph.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBuilder } from './graph';

const FLOAT = 1;
const INT32 = 6;

/** A symbolic tensor's ONNX value and, when it carries one, its mask as float [B, T] and lengths int32 [B]. */
export interface Value {
  name: string;
  mask?: { float: string; lengths: string };
}

export type Sym = tf.SymbolicTensor;

/** The call of a layer being exported: its symbolic inputs and outputs, and its call arguments. */
export interface NodeLike {
  inputTensors: Sym[];
  outputTensors: Sym[];
  callArgs?: Record<string, unknown>;
}

/** The ONNX nodes of one call of a layer: its inputs' values → its outputs' values. */
export type LayerEmitter<L extends tf.layers.Layer = tf.layers.Layer> = (g: GraphBuilder, layer: L, ins: Value[], node: NodeLike) => Value[];

const EMITTERS = new Map<string, LayerEmitter>();

/** Registers the emitter of the layer classes named `classNames` (their static `className`, e.g. 'rnnkit.LSTM', 'Dense'). */
export function registerEmitter<L extends tf.layers.Layer>(classNames: string | readonly string[], emit: LayerEmitter<L>): void {
  for (const name of typeof classNames === 'string' ? [classNames] : classNames) EMITTERS.set(name, emit as LayerEmitter);
}

/**
 * The emitter of `layer`: its class's, else the nearest registered base class's
 * (a subclass of a recurrent layer exports as one unless it registers its own).
 */
export function emitterFor(layer: tf.layers.Layer): LayerEmitter | undefined {
  for (let c = layer.constructor as { className?: string } | null; c && c !== Object; c = Object.getPrototypeOf(c)) {
    const emit = c.className !== undefined ? EMITTERS.get(c.className) : undefined;
    if (emit) return emit;
  }
  return undefined;
}

/** The registered class names (for the error naming a layer that cannot be exported). */
export const exportableClasses = (): string[] => [...EMITTERS.keys()];

/** The mask `ids != 0` (float [B, T]) and the lengths (int32 [B]) of right-padded ids. */
export function padMask(g: GraphBuilder, ids: string, n: string): { float: string; lengths: string } {
  const notPad = g.op('Not', [g.op('Equal', [ids, g.int32Scalar(0)], {}, `${n}/is_pad`)], {}, `${n}/not_pad`);
  const float = g.op('Cast', [notPad], { to: FLOAT }, `${n}/mask`);
  const sum = g.op('ReduceSum', [float, g.int64([-1])], { keepdims: 0 }, `${n}/length_float`);
  return { float, lengths: g.op('Cast', [sum], { to: INT32 }, `${n}/lengths`) };
}

