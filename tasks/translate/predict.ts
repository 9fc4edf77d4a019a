/**
 * A trained translation model for predictions: vocabularies + Seq2Seq + decoding,
 * loaded from a checkpoint directory (artifacts.json `task: 'translate'`), plus the
 * attention heatmap renderings (terminal text and a Vega-Lite spec), and
 * rnn-predict's input/output. Decoding itself is decode.ts; the one-graph ONNX
 * export is onnx.ts. Next: index.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import type { PredictIO } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { artifactList, embeddingRowsOf, expectArtifactSize, outputUnits } from '../../src/train';
import type { TranslateConfig } from './config';
import { batched, beamSearch, Decoded, greedyDecode, sourceBatch } from './decode';
import { detokenize, tokenize } from './data';
import { Bpe, BpeJSON, joinBpe } from './bpe';
import { Seq2Seq } from './model';
import { exportTranslator } from './onnx';
import type { OnnxRuntimeOptions } from '../../src/onnx/onnxruntime';
import { runOnnx } from '../../src/onnx/onnxruntime';
import { SyncOnnxSession } from '../../src/onnx/sync_session';

/** What a checkpoint carries besides the weights. */
export interface TranslateArtifacts {
  task: 'translate';
  sourceVocabulary: string[];
  targetVocabulary: string[];
  config: TranslateConfig;
  /** --subwords bpe: the merge tables of the source and target sides (the same table for bpe-joint). */
  sourceBpe?: BpeJSON;
  targetBpe?: BpeJSON;
}

/** The subword tables of a model trained with --subwords (tasks/translate/bpe.ts). */
export interface TranslatorBpe {
  source: Bpe;
  target: Bpe;
}

export interface Translation {
  source: string;
  translation: string;
  /** Source tokens as the model saw them. */
  sourceTokens: string[];
  /** Output tokens (without <eos>). */
  tokens: string[];
  logProb: number;
  /** Attention weights [output step][source token] (greedy decoding with attention requested). */
  attention?: number[][];
}

export interface TranslateOptions {
  /** Beams (1 = greedy). Default: the model's config. */
  beamSize?: number;
  /** Length normalisation α. Default: the model's config. */
  lengthPenalty?: number;
  /** Also return the attention weights (greedy decoding). */
  attention?: boolean;
}

/** The exported graph's outputs (onnx.ts) as decoded sentences. */
function readOnnxOutput(got: Record<string, tf.Tensor>): Decoded[] {
  const tokens = got.tokens.arraySync() as number[][];
  const lengths = got.lengths.dataSync();
  const logp = got.log_prob.dataSync();
  return tokens.map((row, r) => ({ tokens: row.slice(0, lengths[r]), logProb: logp[r] }));
}

export class Translator {
  /** Set by useOnnxRuntime(): decoding runs the exported graphs (onnx.ts) in onnxruntime-node. */
  private onnx: OnnxRuntimeOptions | null = null;
  /** The onnxruntime sessions, one per decoding (greedy, or beam K with α), made when first used. */
  private readonly sessions = new Map<string, SyncOnnxSession>();

  constructor(
    readonly seq2seq: Seq2Seq,
    readonly srcVocab: Vocabulary,
    readonly tgtVocab: Vocabulary,
    readonly config: TranslateConfig,
    /** Subword tables (models trained with --subwords), or null for words. */
    readonly bpe: TranslatorBpe | null = null,
  ) {}

  /** Output tokens → text: subwords joined into words, then detokenized. */
  textOf(tokens: string[]): string {
    return detokenize(this.bpe ? joinBpe(tokens) : tokens);
  }

  /** The decoding limits of predictions (also those of the exported graph). */
  get limits(): { maxLen: number; maxLenA: number; maxLenB: number } {
    return { maxLen: this.config.maxLen * 2, maxLenA: this.config.maxLenA, maxLenB: this.config.maxLenB };
  }

  /** The translator as one ONNX graph that decodes greedily, or with beam search given `beamSize` > 1 (tasks/translate/onnx.ts). */
  exportOnnx(metadata: Record<string, string> = {}, beam: { beamSize?: number; lengthPenalty?: number } = {}): Uint8Array {
    return exportTranslator(this.seq2seq, { ...this.limits, metadata, ...beam });
  }

  /**
   * Runs the exported graph in onnxruntime on sample sources (ids of the vocabulary)
   * and compares it with greedy decoding on tfjs: the line rnn-export --verify prints;
   * throws when they differ.
   */
  async verifyOnnx(bytes: Uint8Array): Promise<string> {
    const V = this.srcVocab.size;
    const src = [[4, 9, 5, 7, 11, 6], [8, 4], [5, 10, 12, 7, 4, 9, 6, 13, 5]].map((r) => r.map((id) => 4 + (id % Math.max(1, V - 4))));
    const want = greedyDecode(this.seq2seq, src, { ...this.limits });
    const { ids } = sourceBatch(src);
    const got = await runOnnx(bytes, { source_ids: ids });
    const out = readOnnxOutput(got);
    tf.dispose([ids, ...Object.values(got)]);
    let worst = 0;
    want.forEach((w, i) => {
      const t = out[i].tokens;
      if (t.join(' ') !== w.tokens.join(' ')) throw new UserError(`onnxruntime's greedy output for sample ${i + 1} (${t.join(' ')}) differs from tfjs's (${w.tokens.join(' ')})`);
      worst = Math.max(worst, Math.abs(out[i].logProb - w.logProb));
    });
    if (!(worst <= 1e-3)) throw new UserError(`onnxruntime's log-probabilities differ from tfjs's by ${worst}`);
    return `verified in onnxruntime-node: greedy translations of ${src.length} sample sources identical to tfjs, max |Δ log-prob| = ${worst.toExponential(2)}`;
  }

  /**
   * Decoding from now on runs in onnxruntime-node: the exported graph, greedy or
   * with beam search in it (one graph per beam size and length penalty, made when
   * first needed), in a worker thread, synchronously; attention weights stay on
   * tfjs. What `rnn-predict --engine onnxruntime` calls (src/onnx/engine.ts).
   */
  useOnnxRuntime(options: OnnxRuntimeOptions = {}): this {
    this.closeSessions();
    this.onnx = { ...options };
    this.session(1, 0); // the greedy graph now: a missing onnxruntime is an error here, not at the first sentence
    return this;
  }

  /** Whether decoding runs in onnxruntime. */
  get onnxRuntime(): boolean {
    return this.onnx !== null;
  }

  private session(beamSize: number, lengthPenalty: number): SyncOnnxSession {
    const key = beamSize > 1 ? `${beamSize}:${lengthPenalty}` : 'greedy';
    let s = this.sessions.get(key);
    if (!s) {
      s = new SyncOnnxSession(this.exportOnnx({}, beamSize > 1 ? { beamSize, lengthPenalty } : {}), this.onnx!);
      this.sessions.set(key, s);
    }
    return s;
  }

  private closeSessions(): void {
    this.sessions.forEach((s) => s.dispose());
    this.sessions.clear();
  }

  /** Decoding in onnxruntime, batched as greedyDecode batches (64 sentences per run; beam search: 64 × K rows). */
  private decodeOnnx(src: number[][], beamSize: number, lengthPenalty: number): Decoded[] {
    const session = this.session(beamSize, lengthPenalty);
    return batched(src, 64, (rows) => {
      const { ids } = sourceBatch(rows);
      const got = session.run({ source_ids: ids });
      const out = readOnnxOutput(got);
      tf.dispose([ids, ...Object.values(got)]);
      return out;
    });
  }

  static async load(dir: string): Promise<Translator> {
    const a = readTaskArtifacts<TranslateArtifacts>(dir, 'translate');
    const raw = a as unknown as Record<string, unknown>;
    const src = artifactList(dir, raw, 'sourceVocabulary', 'source vocabulary');
    const tgt = artifactList(dir, raw, 'targetVocabulary', 'target vocabulary');
    const model = await loadModel(dir);
    // the artifacts against the model: one line naming artifacts.json, not a shape error later
    expectArtifactSize(dir, 'source vocabulary', src.length, 'source embedding', embeddingRowsOf(model, 'source_embedding'));
    expectArtifactSize(dir, 'target vocabulary', tgt.length, 'target embedding', embeddingRowsOf(model, 'target_embedding'));
    expectArtifactSize(dir, 'target vocabulary', tgt.length, 'output layer', outputUnits(model));
    const bpe = a.sourceBpe && a.targetBpe ? { source: Bpe.fromJSON(a.sourceBpe), target: Bpe.fromJSON(a.targetBpe) } : null;
    return new Translator(new Seq2Seq(model, a.config), Vocabulary.fromJSON(a.sourceVocabulary), Vocabulary.fromJSON(a.targetVocabulary), a.config, bpe);
  }

  /** Source text → ids (truncated to maxLen tokens). */
  encodeSource(text: string): { tokens: string[]; ids: number[] } {
    const words = tokenize(text, this.config.lowercase);
    const tokens = (this.bpe ? this.bpe.source.encode(words) : words).slice(0, this.config.maxLen);
    return { tokens, ids: this.srcVocab.encode(tokens) };
  }

  /** Decodes already-encoded sources. */
  decodeIds(src: number[][], options: TranslateOptions = {}): Decoded[] {
    const beamSize = options.beamSize ?? this.config.beamSize;
    if (this.onnx && !options.attention) return this.decodeOnnx(src, beamSize, options.lengthPenalty ?? this.config.lengthPenalty);
    // Beam search keeps up to batchSize / min(K, 4) sentences per batch: 256 gives 64 sentences × K beams per decoder step.
    const common = { ...this.limits, batchSize: beamSize > 1 ? 256 : 64 };
    return beamSize <= 1 || options.attention
      ? greedyDecode(this.seq2seq, src, { ...common, attention: options.attention })
      : beamSearch(this.seq2seq, src, { ...common, beamSize, lengthPenalty: options.lengthPenalty ?? this.config.lengthPenalty });
  }

  /** Translates texts (one sentence each). */
  translate(texts: string[], options: TranslateOptions = {}): Translation[] {
    const enc = texts.map((t) => this.encodeSource(t));
    const out = this.decodeIds(enc.map((e) => e.ids), options);
    return texts.map((source, i) => {
      const tokens = out[i].tokens.map((id) => this.tgtVocab.tokens[id]);
      return { source, translation: this.textOf(tokens), sourceTokens: enc[i].tokens, tokens, logProb: out[i].logProb, attention: out[i].attention };
    });
  }

  dispose(): void {
    this.closeSessions();
    this.onnx = null;
    this.seq2seq.dispose();
  }
}

const SHADES = [' ', '░', '▒', '▓', '█'];

/** The attention weights as text: one row per output token, one column (a shade) per source token. */
export function attentionText(t: Translation): string[] {
  const w = t.attention ?? [];
  const width = Math.max(...t.tokens.map((s) => s.length), 5);
  const rows = [...t.tokens, '<eos>'].slice(0, w.length).map((tok, i) => `${tok.padStart(width)} │${w[i].map((v) => SHADES[Math.min(4, Math.round(v * 4))].repeat(2)).join('')}`);
  // Source tokens written vertically under the columns.
  const depth = Math.min(12, Math.max(...t.sourceTokens.map((s) => s.length)));
  const legend: string[] = [];
  for (let d = 0; d < depth; d++) legend.push(`${' '.repeat(width)}  ${t.sourceTokens.map((s) => (s[d] ?? ' ') + ' ').join('')}`);
  return [...rows, `${' '.repeat(width)} └${'──'.repeat(t.sourceTokens.length)}`, ...legend];
}

/** Distinct labels for repeated tokens (zero-width spaces), so a heatmap keeps every position. */
function uniqueLabels(tokens: string[]): string[] {
  const seen = new Map<string, number>();
  return tokens.map((t) => {
    const n = seen.get(t) ?? 0;
    seen.set(t, n + 1);
    return t + '\u200b'.repeat(n);
  });
}

/** A Vega-Lite heatmap of one translation's attention weights. */
export function attentionSpec(t: Translation): Record<string, unknown> {
  const src = uniqueLabels(t.sourceTokens);
  const out = uniqueLabels([...t.tokens, '<eos>'].slice(0, (t.attention ?? []).length));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: (t.attention ?? []).flatMap((row, i) => row.map((weight, j) => ({ output: out[i], source: src[j], weight }))) },
    mark: 'rect',
    encoding: {
      x: { field: 'source', type: 'nominal', sort: src, title: 'source', axis: { labelAngle: -45 } },
      y: { field: 'output', type: 'nominal', sort: out, title: 'output' },
      color: { field: 'weight', type: 'quantitative', scale: { domain: [0, 1], scheme: 'greys' } },
      tooltip: [{ field: 'output' }, { field: 'source' }, { field: 'weight', format: '.3f' }],
    },
  };
}

/** rnn-predict for translate: sentences as arguments or lines on stdin → one translation (or JSON) per line; --attention adds text heatmaps on stderr. */
export async function predictTranslate(translator: Translator, io: PredictIO, options: Record<string, unknown>): Promise<void> {
  const texts = io.args.length ? io.args : (await io.readStdin()).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  if (!texts.length) throw new UserError('nothing to translate: give sentences as arguments or pipe lines on stdin', 2);
  const beamSize = options.beamSize as number | undefined;
  const lengthPenalty = options.lengthPenalty as number | undefined;
  const out = translator.translate(texts, { beamSize, lengthPenalty });
  const withAttention = options.attention === true ? translator.translate(texts, { attention: true }) : null;
  out.forEach((t, i) => {
    if (io.json) io.write(`${JSON.stringify({ source: t.source, translation: t.translation, logProb: t.logProb })}\n`);
    else io.write(`${t.translation}\n`);
    if (withAttention) io.note(`attention of "${t.source}" (rows: output, columns: source):\n${attentionText(withAttention[i]).join('\n')}`);
  });
}
