/**
 * A trained translation model for predictions: vocabularies + Seq2Seq + decoding,
 * loaded from a checkpoint directory (artifacts.json `task: 'translate'`), plus the
 * attention heatmap renderings (terminal text and a Vega-Lite spec).
 */
import * as path from 'path';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import { readArtifacts } from '../../src/train/checkpoint';
import type { TranslateConfig } from './config';
import { beamSearch, Decoded, greedyDecode } from './decode';
import { detokenize, tokenize } from './data';
import { Seq2Seq } from './model';

/** What a checkpoint carries besides the weights. */
export interface TranslateArtifacts {
  task: 'translate';
  sourceVocabulary: string[];
  targetVocabulary: string[];
  config: TranslateConfig;
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

export class Translator {
  constructor(
    readonly seq2seq: Seq2Seq,
    readonly srcVocab: Vocabulary,
    readonly tgtVocab: Vocabulary,
    readonly config: TranslateConfig,
  ) {}

  static async load(dir: string): Promise<Translator> {
    const a = readArtifacts(dir) as unknown as TranslateArtifacts;
    if (a.task !== 'translate') throw new UserError(`${dir}: this checkpoint is for task '${String(a.task)}', not translate`);
    const model = await loadModel(path.join(dir));
    return new Translator(new Seq2Seq(model, a.config), Vocabulary.fromJSON(a.sourceVocabulary), Vocabulary.fromJSON(a.targetVocabulary), a.config);
  }

  /** Source text → ids (truncated to maxLen tokens). */
  encodeSource(text: string): { tokens: string[]; ids: number[] } {
    const tokens = tokenize(text, this.config.lowercase).slice(0, this.config.maxLen);
    return { tokens, ids: this.srcVocab.encode(tokens) };
  }

  /** Decodes already-encoded sources. */
  decodeIds(src: number[][], options: TranslateOptions = {}): Decoded[] {
    const beamSize = options.beamSize ?? this.config.beamSize;
    const common = { maxLen: this.config.maxLen * 2, maxLenA: this.config.maxLenA, maxLenB: this.config.maxLenB, batchSize: 64 };
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
      return { source, translation: detokenize(tokens), sourceTokens: enc[i].tokens, tokens, logProb: out[i].logProb, attention: out[i].attention };
    });
  }

  dispose(): void {
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
