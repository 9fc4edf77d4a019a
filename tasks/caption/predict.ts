/**
 * A trained captioner for predictions: vocabulary + Captioner + decoding, loaded
 * from a checkpoint directory (artifacts.json `task: 'caption'`), the scores
 * (BLEU-1…4 with all captions as references, exact match), the attention maps
 * (terminal shades over the grid, a Vega-Lite spec), and rnn-predict's IO.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import { runOnnx } from '../../src/onnx/onnxruntime';
import { corpusBleu } from '../../src/metrics/bleu';
import type { PredictIO } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { artifactList, embeddingRowsOf, expectArtifactSize, expectArtifactValue, inputSize, outputUnits } from '../../src/train';
import type { CaptionConfig } from './config';
import { tokenize, WordVocabulary } from './data';
import { beamSearch, Decoded, greedyDecode } from './decode';
import { readImage } from './images';
import { generateScenes } from './mnist_scenes';
import { Captioner } from './model';
import { exportCaptioner, readCaptionerOutput } from './onnx';

/** What a checkpoint carries besides the weights. */
export interface CaptionArtifacts {
  task: 'caption';
  vocabulary: string[];
  /** Model input size (images are resized to it) and channels. */
  imageSize: number;
  channels: 1 | 3;
  config: CaptionConfig;
}

export interface Caption {
  caption: string;
  words: string[];
  logProb: number;
  /** Per generated word (and the final <eos>): weights over the G×G grid cells, row-major. */
  attention?: number[][];
}

/** BLEU-1…4 (fractions in [0, 1]: bp · geometric mean of precisions up to n) and exact match (the caption equals one of the references). */
export function captionScores(hyps: string[], refs: string[][]): { bleu1: number; bleu2: number; bleu3: number; bleu4: number; exact: number } {
  const K = Math.max(...refs.map((r) => r.length));
  const streams = Array.from({ length: K }, (_, k) => refs.map((r) => r[k] ?? r[0]));
  const b = corpusBleu(hyps, streams);
  const bleuN = (n: number): number => {
    const ps = b.precisions.slice(0, n).map((p) => p / 100);
    return ps.some((p) => p <= 0) ? 0 : b.bp * Math.exp(ps.reduce((s, p) => s + Math.log(p), 0) / n);
  };
  const norm = (s: string): string => tokenize(s).join(' ');
  const exact = hyps.filter((h, i) => refs[i].some((r) => norm(r) === norm(h))).length / Math.max(1, hyps.length);
  return { bleu1: bleuN(1), bleu2: bleuN(2), bleu3: bleuN(3), bleu4: bleuN(4), exact };
}

export class CaptionModel {
  constructor(readonly captioner: Captioner, readonly vocab: WordVocabulary, readonly config: CaptionConfig) {}

  static async load(dir: string): Promise<CaptionModel> {
    const a = readTaskArtifacts<CaptionArtifacts>(dir, 'caption');
    const vocabulary = artifactList(dir, a as unknown as Record<string, unknown>, 'vocabulary', 'vocabulary');
    const model = await loadModel(dir);
    // the artifacts against the model: one line naming artifacts.json, not a shape error later
    expectArtifactSize(dir, 'vocabulary', vocabulary.length, 'word embedding', embeddingRowsOf(model, 'embedding'));
    expectArtifactSize(dir, 'vocabulary', vocabulary.length, 'output layer', outputUnits(model));
    expectArtifactValue(dir, 'imageSize', a.imageSize, 'image input side', inputSize(model, 1));
    expectArtifactValue(dir, 'channel count + 2 coordinate channels', a.channels + 2, 'image input channels', inputSize(model, -1));
    return new CaptionModel(new Captioner(model, { ...a.config, imageSize: a.imageSize, channels: a.channels }), new WordVocabulary(a.vocabulary), a.config);
  }

  /** Captions of images given as model input ([N·S·S·C] floats in [0, 1]). */
  caption(images: Float32Array, count: number, options: { beamSize?: number; lengthPenalty?: number; attention?: boolean } = {}): Caption[] {
    const K = options.beamSize ?? this.config.beamSize;
    const out: Decoded[] = K <= 1 || options.attention
      ? greedyDecode(this.captioner, images, count, this.config.maxLen, options.attention === true)
      : beamSearch(this.captioner, images, count, this.config.maxLen, K, options.lengthPenalty ?? this.config.lengthPenalty);
    return out.map((d) => {
      const words = d.tokens.map((id) => this.vocab.tokens[id]);
      return { caption: words.join(' '), words, logProb: d.logProb, attention: d.attention };
    });
  }

  /** The captioner as one ONNX graph: images → greedy caption tokens, lengths, log-probabilities (tasks/caption/onnx.ts). */
  exportOnnx(metadata: Record<string, string> = {}): Uint8Array {
    return exportCaptioner(this.captioner, { maxLen: this.config.maxLen, metadata });
  }

  /**
   * Runs the exported graph in onnxruntime on sample images (generated digit
   * scenes at the model's size) and compares it with greedy decoding on tfjs: the
   * line rnn-export --verify prints; throws when they differ.
   */
  async verifyOnnx(bytes: Uint8Array): Promise<string> {
    const S = this.captioner.config.imageSize;
    const C = this.captioner.config.channels;
    const scenes = generateScenes({ count: 4, seed: 11, size: S });
    const images = new Float32Array(scenes.length * S * S * C);
    scenes.forEach((sc, i) => sc.pixels.forEach((v, p) => images.fill(v, (i * S * S + p) * C, (i * S * S + p + 1) * C)));
    const want = greedyDecode(this.captioner, images, scenes.length, this.config.maxLen);
    const x = tf.tensor4d(images, [scenes.length, S, S, C]);
    const got = await runOnnx(bytes, { image: x });
    const out = readCaptionerOutput(got);
    tf.dispose([x, ...Object.values(got)]);
    let worst = 0;
    want.forEach((w, i) => {
      const t = out[i].tokens;
      if (t.join(' ') !== w.tokens.join(' ')) throw new UserError(`onnxruntime's greedy caption of sample image ${i + 1} (${t.join(' ')}) differs from tfjs's (${w.tokens.join(' ')})`);
      worst = Math.max(worst, Math.abs(out[i].logProb - w.logProb));
    });
    if (!(worst <= 1e-4)) throw new UserError(`onnxruntime's log-probabilities differ from tfjs's by ${worst}`);
    return `verified in onnxruntime-node: greedy captions of ${scenes.length} sample images identical to tfjs, max |Δ log-prob| = ${worst.toExponential(2)}`;
  }

  /** Reads image files (PNG/JPEG) as model input. */
  readImages(files: string[]): Float32Array {
    const S = this.captioner.config.imageSize;
    const C = this.captioner.config.channels;
    const all = new Float32Array(files.length * S * S * C);
    files.forEach((f, i) => all.set(readImage(f, S, C), i * S * S * C));
    return all;
  }

  dispose(): void {
    this.captioner.dispose();
  }
}

const SHADES = [' ', '░', '▒', '▓', '█'];

/** One word's attention over the G×G grid as G text rows (darker = more weight, scaled to the word's maximum). */
export function attentionGrid(weights: number[], G: number): string[] {
  const max = Math.max(...weights, 1e-9);
  return Array.from({ length: G }, (_, y) => weights.slice(y * G, (y + 1) * G).map((v) => SHADES[Math.min(4, Math.round((v / max) * 4))].repeat(2)).join(''));
}

/** All words' attention maps side by side, the words above. */
export function attentionText(c: Caption, G: number): string[] {
  const words = [...c.words, '<eos>'].slice(0, (c.attention ?? []).length);
  const grids = (c.attention ?? []).map((w) => attentionGrid(w, G));
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += 6) {
    const part = grids.slice(i, i + 6);
    lines.push(words.slice(i, i + 6).map((w) => w.slice(0, 2 * G).padEnd(2 * G)).join(' │'));
    for (let y = 0; y < G; y++) lines.push(part.map((g) => g[y]).join(' │'));
    lines.push('');
  }
  return lines;
}

/** A Vega-Lite figure: one heatmap per generated word over the grid. */
export function attentionSpec(c: Caption, G: number): Record<string, unknown> {
  const words = [...c.words, '<eos>'].slice(0, (c.attention ?? []).length).map((w, i) => `${i + 1}. ${w}`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: (c.attention ?? []).flatMap((row, i) => row.map((weight, j) => ({ word: words[i], x: j % G, y: Math.floor(j / G), weight }))) },
    facet: { field: 'word', type: 'nominal', sort: words, title: null },
    columns: 6,
    spec: {
      width: 80,
      height: 80,
      mark: 'rect',
      encoding: {
        x: { field: 'x', type: 'ordinal', axis: null },
        y: { field: 'y', type: 'ordinal', axis: null },
        color: { field: 'weight', type: 'quantitative', scale: { scheme: 'greys' } },
      },
    },
  };
}

/** rnn-predict for caption: image files as arguments → one caption per line (or JSON with scores); --attention adds maps on stderr. */
export async function predictCaption(model: CaptionModel, io: PredictIO, options: Record<string, unknown>): Promise<void> {
  const files = io.args.length ? io.args : (await io.readStdin()).split('\n').map((l) => l.trim()).filter(Boolean);
  if (!files.length) throw new UserError('no images: give PNG or JPEG files as arguments (or their paths on stdin)', 2);
  const images = model.readImages(files);
  const out = model.caption(images, files.length, { beamSize: options.beamSize as number | undefined, lengthPenalty: options.lengthPenalty as number | undefined });
  const att = options.attention === true ? model.caption(images, files.length, { attention: true }) : null;
  out.forEach((c, i) => {
    if (io.json) io.write(`${JSON.stringify({ image: files[i], caption: c.caption, logProb: c.logProb, ...(att ? { attention: att[i].attention } : {}) })}\n`);
    else io.write(files.length > 1 ? `${files[i]}\t${c.caption}\n` : `${c.caption}\n`);
    if (att && !io.json) io.note(`attention of ${files[i]} (greedy: "${att[i].caption}"):\n${attentionText(att[i], model.captioner.grid).join('\n')}`);
  });
}
