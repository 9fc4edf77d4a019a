/**
 * tfjs-layers / Keras model files with this package's fused layers: a `model.json`
 * as tfjs-layers saves it, or as tensorflowjs_converter writes it from Keras 2, is
 * loaded with its LSTM / GRU / SimpleRNN / Bidirectional layers replaced by `lstm` /
 * `gru` / `simpleRnn` / `bidirectional` and its Embedding by `embedding` (which trains
 * on every backend), keeping their weights. Keras GRUs with `reset_after: true`, which
 * tfjs-layers cannot load (tensorflow/tfjs #4621, #5728), become `gru({resetAfter: true})`.
 *
 * Both libraries keep the Keras layout (kernel [D, G·H], recurrent_kernel [H, G·H],
 * gates LSTM i,f,c,o and GRU z,r,h; a reset_after GRU's bias [2, 3H]), so the weights
 * load as they are; only their names change (e.g. 'bidirectional/forward_lstm/kernel'
 * → 'bidirectional/kernel_l0').
 *
 * A recurrent layer this package cannot reproduce exactly (recurrent activation
 * hard_sigmoid, which is tfjs-layers' default; stateful; go_backwards with sequences
 * out; other activations) is kept as the tfjs layer, and the report says why.
 *
 * Example:
 *   const { model, report } = await loadTfjsLayersModel('keras_model/model.json');
 *   model.predict(x); // the fused kernels, same numbers
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '../../layers';
import { readModelArtifacts } from '../io/fs_handler';
import { UserError } from '../errors';

/** A layer config as model.json holds it: snake_case (Keras, tfjs saves) or camelCase keys. */
type Cfg = Record<string, unknown>;
interface LayerEntry {
  class_name?: string;
  className?: string;
  config: Cfg;
  name?: string;
  inbound_nodes?: unknown;
}

/** What happened to each layer. */
export interface TfjsImportReport {
  /** Layers replaced by this package's (name, original class, new class, notes). */
  replaced: { name: string; from: string; to: string; notes: string[] }[];
  /** Recurrent layers kept as tfjs layers, and why. */
  kept: { name: string; className: string; reason: string }[];
}

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A config value by its snake_case name (or the camelCase one). */
function get<T>(cfg: Cfg, key: string, def: T): T {
  const v = cfg[key] ?? cfg[camel(key)];
  return v === undefined || v === null ? def : (v as T);
}

/** 'hard_sigmoid' / 'hardSigmoid' → 'hardsigmoid'. */
const act = (v: unknown): string => String(v ?? '').replace(/_/g, '').toLowerCase();

const RECURRENT: Record<string, 'lstm' | 'gru' | 'rnn'> = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'rnn' };
const OURS = { lstm: 'rnnkit.LSTM', gru: 'rnnkit.GRU', rnn: 'rnnkit.SimpleRNN' };

/** Our args for a Keras/tfjs recurrent config, or the reason it cannot be replaced. */
function recurrentArgs(kind: 'lstm' | 'gru' | 'rnn', cfg: Cfg, inBidirectional: boolean): { args: Cfg; notes: string[] } | string {
  const notes: string[] = [];
  const a = act(get(cfg, 'activation', 'tanh'));
  if (kind === 'rnn' ? a !== 'tanh' && a !== 'relu' : a !== 'tanh') return `activation '${String(get(cfg, 'activation', ''))}' (this package's cells use tanh${kind === 'rnn' ? ' or relu' : ''})`;
  if (kind !== 'rnn') {
    // tfjs-layers defaults recurrentActivation to hardSigmoid; Keras to sigmoid.
    const ra = act(get(cfg, 'recurrent_activation', 'hard_sigmoid'));
    if (ra !== 'sigmoid') return `recurrent activation '${String(get(cfg, 'recurrent_activation', 'hard_sigmoid'))}' (this package's gates use sigmoid)`;
  }
  if (get(cfg, 'stateful', false)) return 'stateful';
  if (get(cfg, 'unroll', false)) notes.push('unroll ignored');
  const goBackwards = get(cfg, 'go_backwards', false);
  const returnSequences = get(cfg, 'return_sequences', false);
  if (goBackwards && !inBidirectional && returnSequences) return 'go_backwards with return_sequences (Keras returns that sequence reversed in time)';
  if (get(cfg, 'dropout', 0) > 0 || get(cfg, 'recurrent_dropout', 0) > 0) notes.push('dropout / recurrent_dropout (training only) not carried over');
  const args: Cfg = {
    units: get(cfg, 'units', 0),
    returnSequences,
    returnState: get(cfg, 'return_state', false),
    useBias: get(cfg, 'use_bias', true),
  };
  if (goBackwards && !inBidirectional) args.reverse = true;
  if (kind === 'gru') args.resetAfter = get(cfg, 'reset_after', false); // absent in tfjs-layers configs: tfjs GRUs are reset_after false
  if (kind === 'rnn') args.activation = a;
  return { args, notes };
}

/** Our weight names (without the layer prefix), in weight order, for a recurrent layer's args. */
function ourWeightNames(kind: 'lstm' | 'gru' | 'rnn', useBias: boolean, bidirectional: boolean): string[] {
  const per = (sfx: string): string[] => ['kernel', 'recurrent_kernel', ...(useBias ? ['bias'] : [])].map((n) => n + sfx);
  void kind;
  return bidirectional ? [...per('_l0'), ...per('_l0_reverse')] : per('');
}

/** Copies the keys every layer keeps (name, trainable, dtype, input shapes). */
function baseArgs(cfg: Cfg): Cfg {
  const out: Cfg = { name: get(cfg, 'name', undefined), trainable: get(cfg, 'trainable', true) };
  const bis = get<unknown>(cfg, 'batch_input_shape', undefined);
  if (bis) out.batchInputShape = bis;
  const dtype = get<unknown>(cfg, 'dtype', undefined);
  if (dtype) out.dtype = dtype;
  return out;
}

/**
 * Rewrites a tfjs-layers / Keras model's artifacts so that tf.loadLayersModel builds
 * this package's layers (see the file comment). Returns new artifacts and the report.
 */
export function convertTfjsArtifacts(artifacts: tf.io.ModelArtifacts, where = 'model.json'): { artifacts: tf.io.ModelArtifacts; report: TfjsImportReport } {
  const topo = JSON.parse(JSON.stringify(artifacts.modelTopology ?? null)) as Cfg | null;
  if (!topo) throw new UserError(`${where}: no modelTopology (not a layers model)`);
  const root = ((topo.model_config ?? topo) as { class_name?: string; className?: string; config: Cfg | LayerEntry[] });
  const cls = root.class_name ?? root.className;
  if (cls !== 'Sequential' && cls !== 'Model' && cls !== 'Functional') throw new UserError(`${where}: model class '${String(cls)}' is not a Sequential or functional model`);
  const layers = (Array.isArray(root.config) ? root.config : (root.config.layers as LayerEntry[])) ?? [];
  const report: TfjsImportReport = { replaced: [], kept: [] };
  const renames = new Map<string, string[]>(); // layer name → our weight names in order

  for (const entry of layers) {
    const className = entry.class_name ?? entry.className ?? '';
    const cfg = entry.config;
    const name = String(get(cfg, 'name', entry.name ?? ''));
    const setClass = (c: string): void => {
      if (entry.class_name !== undefined) entry.class_name = c;
      else entry.className = c;
    };
    if (className === 'Embedding') {
      entry.config = { ...baseArgs(cfg), inputDim: get(cfg, 'input_dim', 0), outputDim: get(cfg, 'output_dim', 0), maskZero: get(cfg, 'mask_zero', false) };
      const len = get<number | null>(cfg, 'input_length', null);
      if (!entry.config.batchInputShape && len != null) entry.config.batchInputShape = [null, len];
      setClass('rnnkit.Embedding');
      renames.set(name, ['embeddings']);
      report.replaced.push({ name, from: className, to: 'rnnkit.Embedding', notes: [] });
      continue;
    }
    const kind = RECURRENT[className];
    if (kind) {
      const r = recurrentArgs(kind, cfg, false);
      if (typeof r === 'string') {
        report.kept.push({ name, className, reason: r });
        continue;
      }
      entry.config = { ...baseArgs(cfg), ...r.args };
      setClass(OURS[kind]);
      renames.set(name, ourWeightNames(kind, r.args.useBias as boolean, false));
      report.replaced.push({ name, from: className, to: OURS[kind], notes: r.notes });
      continue;
    }
    if (className === 'Bidirectional') {
      const inner = get<LayerEntry | null>(cfg, 'layer', null);
      const innerClass = inner ? (inner.class_name ?? inner.className ?? '') : '';
      const innerKind = RECURRENT[innerClass];
      if (!inner || !innerKind) {
        report.kept.push({ name, className, reason: `wraps ${innerClass || 'nothing'}` });
        continue;
      }
      const r = recurrentArgs(innerKind, inner.config, true);
      if (typeof r === 'string') {
        report.kept.push({ name, className: `Bidirectional(${innerClass})`, reason: r });
        continue;
      }
      const mm = get<string | null>(cfg, 'merge_mode', 'concat');
      entry.config = {
        ...baseArgs(cfg),
        mergeMode: mm === null ? 'none' : mm,
        layer: { className: OURS[innerKind], config: { ...r.args, name: `${name}_inner` } },
      };
      if (!entry.config.batchInputShape) {
        const bis = get<unknown>(inner.config, 'batch_input_shape', undefined);
        if (bis) entry.config.batchInputShape = bis;
      }
      setClass('rnnkit.Bidirectional');
      renames.set(name, ourWeightNames(innerKind, r.args.useBias as boolean, true));
      report.replaced.push({ name, from: `Bidirectional(${innerClass})`, to: 'rnnkit.Bidirectional', notes: r.notes });
    }
  }

  // Weight names: the replaced layers' weights, in their saved order, get our names.
  const specs = (artifacts.weightSpecs ?? []).map((s) => ({ ...s }));
  for (const [layer, names] of renames) {
    const mine = specs.filter((s) => s.name.startsWith(`${layer}/`));
    if (mine.length !== names.length) {
      throw new UserError(`${where}: layer '${layer}' has ${mine.length} weights in the manifest (${mine.map((s) => s.name).join(', ')}), expected ${names.length}`);
    }
    mine.forEach((s, i) => (s.name = `${layer}/${names[i]}`));
  }
  return { artifacts: { ...artifacts, modelTopology: topo as unknown as tf.io.ModelArtifacts['modelTopology'], weightSpecs: specs }, report };
}

/**
 * Loads a tfjs-layers / Keras model.json (a path to the file or its directory, or
 * artifacts in memory) with this package's layers (see the file comment).
 */
export async function loadTfjsLayersModel(source: string | tf.io.ModelArtifacts): Promise<{ model: tf.LayersModel; report: TfjsImportReport }> {
  let artifacts: tf.io.ModelArtifacts;
  let where = 'model.json';
  if (typeof source === 'string') {
    const dir = source.endsWith('.json') ? path.dirname(source) : source;
    where = source.endsWith('.json') ? source : path.join(source, 'model.json');
    if (!fs.existsSync(where)) throw new UserError(`${where}: no such file`);
    if (path.basename(where) !== 'model.json') {
      // readModelArtifacts reads DIR/model.json: give it the file's own name through a memory copy.
      const json = JSON.parse(fs.readFileSync(where, 'utf8')) as { modelTopology: object; weightsManifest: tf.io.WeightsManifestConfig };
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
      const data = Buffer.concat(buffers);
      artifacts = { modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
    } else artifacts = readModelArtifacts(dir);
  } else artifacts = source;
  const converted = convertTfjsArtifacts(artifacts, where);
  const model = await tf.loadLayersModel(tf.io.fromMemory(converted.artifacts));
  return { model, report: converted.report };
}
