/**
 * ONNX emitters of the layers around the recurrent ones: this package's
 * embedding → `Gather` (maskZero → the mask `ids != 0` and lengths for the
 * recurrent layers: padding must be trailing, as this package's batching makes
 * it), maskedPooling → masked ReduceMax / ReduceSum / Div, RowGather → `Gather`,
 * PaddingMask, dropout layers as the identity (inference); and the tfjs layers
 * Dense → Gemm or MatMul + Add and its activation, Activation, Softmax,
 * Concatenate, Add, Flatten.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededDropout } from '../../layers/dropout';
import { Embedding } from '../../layers/embedding';
import { PaddingMask } from '../../layers/padding_mask';
import { MaskedPooling } from '../../layers/pooling';
import { RowGather } from '../../layers/row_gather';
import { padMask, registerEmitter, Value } from './emitters';
import type { GraphBuilder } from './graph';

function activation(g: GraphBuilder, x: string, name: string, layerName: string): string {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x], {}, `${layerName}/relu`);
    case 'tanh':
      return g.op('Tanh', [x], {}, `${layerName}/tanh`);
    case 'sigmoid':
      return g.op('Sigmoid', [x], {}, `${layerName}/sigmoid`);
    case 'softmax':
      return g.op('Softmax', [x], { axis: -1 }, `${layerName}/softmax`);
    default:
      throw new Error(`${layerName}: activation '${name}' cannot be exported to ONNX (linear, relu, tanh, sigmoid, softmax can)`);
  }
}

/** The activation name of a tfjs layer's config. */
function activationName(layer: tf.layers.Layer): string {
  const cfg = layer.getConfig() as { activation?: string };
  return cfg.activation ?? 'linear';
}

registerEmitter<Embedding>(Embedding.className, (g, layer, [x]) => {
  const n = layer.name;
  const [table] = layer.getWeights();
  const W = g.weight(`${n}/embeddings`, table);
  const out: Value = { name: g.op('Gather', [W, x.name], { axis: 0 }, `${n}/lookup`) };
  if (layer.maskZero) out.mask = padMask(g, x.name, n);
  return [out];
});

registerEmitter<MaskedPooling>(MaskedPooling.className, (g, layer, [x]) => {
  const n = layer.name;
  const m = x.mask ? g.op('Unsqueeze', [x.mask.float, g.int64([2])], {}, `${n}/mask3`) : undefined; // [B, T, 1]
  if (layer.mode === 'mean') {
    if (!m) return [{ name: g.op('ReduceMean', [x.name], { axes: [1], keepdims: 0 }, `${n}/mean`) }];
    const sum = g.op('ReduceSum', [g.op('Mul', [x.name, m], {}, `${n}/masked`), g.int64([1])], { keepdims: 0 }, `${n}/sum`);
    const count = g.op('Max', [g.op('ReduceSum', [m, g.int64([1])], { keepdims: 0 }, `${n}/count`), g.floats(`${n}/one`, [], [1])], {}, `${n}/count_min1`);
    return [{ name: g.op('Div', [sum, count], {}, `${n}/mean`) }];
  }
  if (!m) return [{ name: g.op('ReduceMax', [x.name], { axes: [1], keepdims: 0 }, `${n}/max`) }];
  const offset = g.op('Mul', [g.op('Sub', [m, g.floats(`${n}/one`, [], [1])], {}, `${n}/minus1`), g.floats(`${n}/big`, [], [1e9])], {}, `${n}/offset`);
  return [{ name: g.op('ReduceMax', [g.op('Add', [x.name, offset], {}, `${n}/shifted`)], { axes: [1], keepdims: 0 }, `${n}/max`) }];
});

registerEmitter(PaddingMask.className, (g, layer, [x]) => [{ name: padMask(g, x.name, layer.name).float }]);

// out[b, t] = table[index[b, t]], row 0 = padding
registerEmitter(RowGather.className, (g, layer, [table, index]) => [
  { name: g.op('Gather', [table.name, index.name], { axis: 0 }, `${layer.name}/gather`), mask: padMask(g, index.name, layer.name) },
]);

// Dropout and noise layers are the identity at inference.
registerEmitter([SeededDropout.className, 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout'], (_g, _layer, [x]) => [x]);

registerEmitter('Dense', (g, layer, [x], node) => {
  const n = layer.name;
  const [kernel, bias] = layer.getWeights();
  const W = g.weight(`${n}/kernel`, kernel);
  const rank = node.inputTensors[0].shape.length;
  let y: string;
  if (rank === 2) {
    y = g.op('Gemm', bias ? [x.name, W, g.weight(`${n}/bias`, bias)] : [x.name, W], {}, `${n}/gemm`);
  } else {
    y = g.op('MatMul', [x.name, W], {}, `${n}/matmul`);
    if (bias) y = g.op('Add', [y, g.weight(`${n}/bias`, bias)], {}, `${n}/add_bias`);
  }
  return [{ name: activation(g, y, activationName(layer), n), mask: x.mask }];
});

registerEmitter('Activation', (g, layer, [x]) => [{ name: activation(g, x.name, activationName(layer), layer.name), mask: x.mask }]);

registerEmitter('Softmax', (g, layer, [x]) => [
  { name: g.op('Softmax', [x.name], { axis: (layer.getConfig() as { axis?: number }).axis ?? -1 }, `${layer.name}/softmax`), mask: x.mask },
]);

registerEmitter('Concatenate', (g, layer, ins) => [
  { name: g.op('Concat', ins.map((v) => v.name), { axis: (layer.getConfig() as { axis?: number }).axis ?? -1 }, `${layer.name}/concat`), mask: ins.find((v) => v.mask)?.mask },
]);

registerEmitter('Add', (g, layer, ins) => [
  { name: ins.slice(1).reduce((acc, v, i) => g.op('Add', [acc, v.name], {}, `${layer.name}/add_${i}`), ins[0].name), mask: ins.find((v) => v.mask)?.mask },
]);

registerEmitter('Flatten', (g, layer, [x]) => [{ name: g.op('Flatten', [x.name], { axis: 1 }, `${layer.name}/flatten`) }]);
