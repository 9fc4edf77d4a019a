/**
 * An LSTM with a projection (projSize, PyTorch's proj_size) in standard ONNX ops:
 * the ONNX `LSTM` node has no projection, so each layer and direction is a `Scan`
 * whose body is one step of lstm_cell.ts in Keras layout,
 *
 *   z = x·W + h·U + b;  i, f, g, o = σ, σ, tanh, σ of z's blocks (i, f, c, o)
 *   c' = f ⊙ c + i ⊙ g;  h' = (o ⊙ tanh(c')) · Wr
 *
 * with the mask of the lengths carrying both states over padded steps and zeroing
 * the output there (the reverse direction is a Scan run backwards, so it starts at
 * each sequence's last real token, as the layer's does).
 */
import { LSTMCell } from '../../layers/lstm_cell';
import { RecurrentLayer } from '../../layers/recurrent_layer';
import { GraphBuilder } from './graph';

const FLOAT = 1;
const INT32 = 6;

/** The same shape as export.ts's RecurrentValues. */
export interface ProjectedValues {
  output: string;
  finals: string[];
  hN: string;
  cN: string;
}

/**
 * The nodes of a projected LSTM layer over x [B, T, D] (lengths int32 [B] or none;
 * initial(k): [dirs, B, ·] initial h and c of stacked layer k, or none for zeros).
 */
export function emitProjectedLstm(
  g: GraphBuilder,
  layer: RecurrentLayer,
  x: string,
  lengths: string | undefined,
  initial: (k: number) => { h?: string; c?: string },
): ProjectedValues {
  const a = layer.args;
  const base = layer.name;
  const H = a.units;
  const P = a.projSize;
  const dirs = layer.directions;
  const shape = g.op('Shape', [x], {}, `${base}/shape`);
  const batch = g.op('Slice', [shape, g.int64([0]), g.int64([1]), g.int64([0])], {}, `${base}/batch`); // [1] int64
  const zeros = (n: number, name: string): string =>
    g.op('ConstantOfShape', [g.op('Concat', [batch, g.int64([n])], { axis: 0 }, `${name}_shape`)], {}, name);
  // mask [B, T, 1] float from the lengths: t < length
  let mask: string | undefined;
  if (lengths) {
    const T = g.op('Cast', [g.op('Gather', [shape, g.int64([1], true)], { axis: 0 }, `${base}/time`)], { to: INT32 }, `${base}/time_i32`);
    const steps = g.op('Range', [g.int32Scalar(0), T, g.int32Scalar(1)], {}, `${base}/steps`); // [T]
    const less = g.op('Less', [g.op('Unsqueeze', [steps, g.int64([0])], {}, `${base}/steps_row`), g.op('Unsqueeze', [lengths, g.int64([1])], {}, `${base}/lengths_col`)], {}, `${base}/valid`);
    mask = g.op('Unsqueeze', [g.op('Cast', [less], { to: FLOAT }, `${base}/mask2`), g.int64([2])], {}, `${base}/mask`);
  }
  let input = x;
  const finals: string[] = [];
  const hs: string[] = [];
  const cs: string[] = [];
  let ys: string[] = [];
  for (let k = 0; k < a.numLayers; k++) {
    ys = [];
    const init = initial(k);
    layer.cells[k].forEach((cell, d) => {
      const lstm = cell as LSTMCell;
      const pre = `${base}/l${k}${d === 1 ? '_reverse' : ''}`;
      const W = g.weight(`${pre}/kernel`, lstm.kernel!.read());
      const U = g.weight(`${pre}/recurrent_kernel`, lstm.recurrentKernel!.read());
      const Wr = g.weight(`${pre}/proj_kernel`, lstm.projKernel!.read());
      const b = lstm.bias ? g.weight(`${pre}/bias`, lstm.bias.read()) : undefined;
      const idx = g.int64([d], true);
      const h0 = init.h ? g.op('Gather', [init.h, idx], { axis: 0 }, `${pre}/h0`) : zeros(P, `${pre}/h0`);
      const c0 = init.c ? g.op('Gather', [init.c, idx], { axis: 0 }, `${pre}/c0`) : zeros(H, `${pre}/c0`);

      const body = new GraphBuilder(g);
      const hIn = body.typedInput(`${pre}/step/h`);
      const cIn = body.typedInput(`${pre}/step/c`);
      const xt = body.typedInput(`${pre}/step/x`);
      const mt = mask ? body.typedInput(`${pre}/step/m`) : undefined;
      let z = body.op('Add', [body.op('MatMul', [xt, W], {}, `${pre}/step/xW`), body.op('MatMul', [hIn, U], {}, `${pre}/step/hU`)], {}, `${pre}/step/z`);
      if (b) z = body.op('Add', [z, b], {}, `${pre}/step/zb`);
      const [zi, zf, zc, zo] = body.node('Split', [z], { axis: 1 }, `${pre}/step/gates`, 4);
      const c = body.op(
        'Add',
        [body.op('Mul', [body.op('Sigmoid', [zf], {}, `${pre}/step/f`), cIn], {}, `${pre}/step/fc`), body.op('Mul', [body.op('Sigmoid', [zi], {}, `${pre}/step/i`), body.op('Tanh', [zc], {}, `${pre}/step/g`)], {}, `${pre}/step/ig`)],
        {},
        `${pre}/step/c_new`,
      );
      const m = body.op('Mul', [body.op('Sigmoid', [zo], {}, `${pre}/step/o`), body.op('Tanh', [c], {}, `${pre}/step/tanh_c`)], {}, `${pre}/step/m`);
      const h = body.op('MatMul', [m, Wr], {}, `${pre}/step/h_new`);
      let hOut = h;
      let cOut = c;
      let y = body.op('Identity', [h], {}, `${pre}/step/y`);
      if (mt) {
        const keep = body.op('Sub', [g.floats(`${pre}/one`, [], [1]), mt], {}, `${pre}/step/keep`);
        const blend = (v: string, old: string, name: string): string =>
          body.op('Add', [body.op('Mul', [mt, v], {}, `${name}_new`), body.op('Mul', [keep, old], {}, `${name}_old`)], {}, name);
        hOut = blend(h, hIn, `${pre}/step/h_out`);
        cOut = blend(c, cIn, `${pre}/step/c_out`);
        y = body.op('Mul', [mt, h], {}, `${pre}/step/y_masked`);
      }
      body.typedOutput(hOut);
      body.typedOutput(cOut);
      body.typedOutput(y);
      const scanInputs = mask ? [input, mask] : [input];
      const [hT, cT, Y] = g.node(
        'Scan',
        [h0, c0, ...scanInputs],
        {
          body: { graph: body.graph(`${pre}/step`) },
          num_scan_inputs: scanInputs.length,
          scan_input_axes: scanInputs.map(() => 1),
          scan_input_directions: scanInputs.map(() => d),
          scan_output_axes: [1],
          scan_output_directions: [d],
        },
        `${pre}/scan`,
        3,
      );
      finals.push(hT, cT);
      hs.push(hT);
      cs.push(cT);
      ys.push(Y); // [B, T, P]
    });
    input = ys.length === 1 ? ys[0] : g.op('Concat', ys, { axis: 2 }, `${base}/l${k}_out`);
  }
  const lastH = finals.slice(-2 * dirs).filter((_, i) => i % 2 === 0); // the last layer's h per direction
  const parts = a.returnSequences ? ys : lastH;
  let output: string;
  if (parts.length === 1) output = g.op('Identity', [parts[0]], {}, `${base}/output`);
  else if (a.mergeMode === 'concat') output = g.op('Concat', parts, { axis: -1 }, `${base}/output`);
  else if (a.mergeMode === 'sum') output = g.op('Add', parts, {}, `${base}/output`);
  else if (a.mergeMode === 'mul') output = g.op('Mul', parts, {}, `${base}/output`);
  else if (a.mergeMode === 'ave') output = g.op('Mul', [g.op('Add', parts, {}, `${base}/sum`), g.floats(`${base}/half`, [], [0.5])], {}, `${base}/output`);
  else throw new Error(`${layer.name}: mergeMode '${a.mergeMode}' (two separate outputs) cannot be exported; use concat, sum, ave or mul`);
  const stack = (vs: string[], name: string): string =>
    g.op('Concat', vs.map((v, i) => g.op('Unsqueeze', [v, g.int64([0])], {}, `${name}_${i}`)), { axis: 0 }, name);
  return { output, finals, hN: stack(hs, `${base}/h_n`), cN: stack(cs, `${base}/c_n`) };
}
