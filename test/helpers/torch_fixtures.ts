/** The PyTorch reference cases in ../shared/fixtures/torch (see /work/shared/DESIGN.md) and the layer each describes. */
import * as fs from 'fs';
import * as path from 'path';
import { loadTorchWeights, RecurrentLayer, stacked } from '../../layers';

export const TORCH_FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/torch');

/** The fixture file names, sorted (empty when ../shared is absent). */
export const torchFixtureFiles: string[] = fs.existsSync(TORCH_FIXTURES) ? fs.readdirSync(TORCH_FIXTURES).filter((f) => f.endsWith('.json')).sort() : [];

export interface TorchFixture {
  name: string;
  module: string;
  config: { input_size: number; hidden_size: number; num_layers: number; bidirectional: boolean; bias: boolean; proj_size?: number; nonlinearity?: string };
  params: Record<string, { shape: number[]; value: number[] }>;
  input: { x: number[][][]; h0: number[][][] | null; c0: number[][][] | null; lengths: number[] | null };
  loss_weights: { R: number[][][]; Rh: number[][][]; Rc: number[][][] | null };
  output: { y: number[][][]; h_n: number[][][]; c_n: number[][][] | null; loss: number };
  grads: Record<string, number[]>;
}

export function readTorchFixture(file: string): TorchFixture {
  return JSON.parse(fs.readFileSync(path.join(TORCH_FIXTURES, file), 'utf8')) as TorchFixture;
}

/** The project's layer for a fixture's torch.nn module and config, built, with the fixture's weights. */
export function layerForFixture(fx: TorchFixture, implementation: 'fused' | 'autodiff' = 'fused'): RecurrentLayer {
  const c = fx.config;
  const layer = stacked({
    cell: fx.module.endsWith('LSTM') ? 'lstm' : fx.module.endsWith('GRU') ? 'gru' : 'rnn',
    units: c.hidden_size,
    numLayers: c.num_layers,
    bidirectional: c.bidirectional,
    projSize: c.proj_size ?? 0,
    activation: (c.nonlinearity ?? 'tanh') as 'tanh' | 'relu',
    useBias: c.bias,
    resetAfter: true,
    returnSequences: true,
    returnState: true,
    implementation,
  });
  layer.build([null, null, c.input_size]);
  loadTorchWeights(layer, Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, v.value])));
  return layer;
}
