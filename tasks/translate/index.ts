/**
 * Seq2seq translation, end to end: read pairs → 13a tokens → vocabularies →
 * length-sorted batches → encoder-decoder with attention → train (src/train) →
 * dev BLEU (greedy) and perplexity every epoch → the best checkpoint evaluated
 * on dev and test with beam search → report (samples, attention heatmap).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { corpusBleu } from '../../src/metrics/bleu';
import { bundledData } from '../../src/paths';
import { defineTask, TaskHooks, TaskOption, TaskResult } from '../../src/task';
import { readArtifacts } from '../../src/train/checkpoint';
import { engineOptions } from '../../src/train/common';
import { train } from '../../src/train';
import { TRANSLATE_DEFAULTS, TranslateConfig, TranslateOwnConfig } from './config';
import { buildTargetVocabulary, detokenize, EncodedPair, epochBatches, loadTranslationData, makeBatch, Pair, tokenize, TranslationBatch } from './data';
import { greedyDecode } from './decode';
import { buildSeq2Seq, Encoded, Seq2Seq } from './model';
import { attentionSpec, attentionText, TranslateArtifacts, Translation, Translator } from './translator';

export { TRANSLATE_DEFAULTS } from './config';
export type { TranslateConfig, TranslateOwnConfig, DecoderKind } from './config';
export { buildSeq2Seq, Seq2Seq } from './model';
export { greedyDecode, beamSearch } from './decode';
export { Translator, attentionSpec, attentionText } from './translator';
export type { Translation, TranslateOptions } from './translator';
export { loadTranslationData, tokenize, detokenize } from './data';

/**
 * Σ_i w_i · Σ_v −q_iv · log softmax(logits_i)_v with q_i = (1 − ε)·onehot(id_i) + ε/V
 * (label-smoothed cross-entropy), as one op whose gradient is w_i·(softmax − q_i):
 * a single pass over the [N, V] logits instead of tfjs' chain of log-softmax,
 * one-hot product and reductions.
 */
function smoothedCrossEntropy(logits: tf.Tensor2D, ids: tf.Tensor1D, weights: tf.Tensor1D, eps: number): tf.Scalar {
  const V = logits.shape[1];
  const f = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const lp = tf.logSoftmax(x);
    const q = tf.add(tf.mul(tf.oneHot(ids, V), 1 - eps), eps / V);
    const w = tf.expandDims(weights, 1);
    save([lp, q, w]);
    return {
      value: tf.neg(tf.sum(tf.mul(tf.mul(q, lp), w))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [slp, sq, sw] = saved;
        return [tf.mul(tf.mul(tf.sub(tf.exp(slp), sq), sw), dy)];
      },
    };
  }) as never) as (x: tf.Tensor2D) => tf.Scalar;
  return f(logits);
}

/**
 * Mean label-smoothed cross-entropy over the real target tokens of logits
 * [B, T, V] against ids [B, T] (0 = padding), and the summed plain NLL and token
 * count (for perplexity; the NLL is only computed when `withNll`).
 */
export function sequenceLoss(logits: tf.Tensor3D, targets: number[][], smoothing: number, withNll = false): { loss: tf.Scalar; nll: tf.Scalar | null; tokens: number } {
  const flat = targets.flatMap((row) => row);
  const tokens = flat.filter((i) => i !== 0).length;
  const [loss, nll] = tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const ids = tf.tensor1d(flat, 'int32');
    const weights = tf.tensor1d(flat.map((i) => (i !== 0 ? 1 / Math.max(tokens, 1) : 0)));
    const x = tf.reshape(logits, [B * T, V]) as tf.Tensor2D;
    const loss = smoothedCrossEntropy(x, ids, weights, smoothing);
    const nll = withNll ? (tf.mul(smoothing > 0 ? smoothedCrossEntropy(x, ids, weights, 0) : loss, tokens) as tf.Scalar) : null;
    return nll ? [loss, nll] : [loss];
  });
  return { loss, nll: nll ?? null, tokens };
}

/** Teacher-forced loss of one batch (what the engine differentiates). */
function batchLoss(s2s: Seq2Seq, b: TranslationBatch, training: boolean, cfg: TranslateConfig): tf.Scalar {
  return tf.tidy(() => {
    const src = tf.tensor2d(b.src, undefined, 'int32');
    const tgtIn = tf.tensor2d(b.tgtIn, undefined, 'int32');
    const enc = s2s.encode(src, b.srcLengths, training);
    const { logits } = s2s.forward(enc, tgtIn, b.tgtLengths, training, training ? cfg.teacherForcing : 1);
    return sequenceLoss(logits, b.tgtOut, training ? cfg.labelSmoothing : 0).loss;
  });
}

/** Dev/test perplexity: exp(mean NLL per target token, <eos> included) with teacher forcing. */
function perplexity(s2s: Seq2Seq, pairs: EncodedPair[], batchSize: number): number {
  let nll = 0;
  let tokens = 0;
  for (const b of epochBatches(pairs, batchSize, 0, false)) {
    const v = tf.tidy(() => {
      const enc: Encoded = s2s.encode(tf.tensor2d(b.src, undefined, 'int32'), b.srcLengths, false);
      const { logits } = s2s.forward(enc, tf.tensor2d(b.tgtIn, undefined, 'int32'), b.tgtLengths, false, 1);
      const r = sequenceLoss(logits, b.tgtOut, 0, true);
      tokens += r.tokens;
      return r.nll!;
    });
    nll += v.dataSync()[0];
    v.dispose();
  }
  return Math.exp(nll / Math.max(tokens, 1));
}

export interface TranslateResult {
  dev: { bleu: number; perplexity: number };
  test: { bleu: number; perplexity: number } | null;
  /** Sample translations of the best checkpoint (test, else dev). */
  samples: { source: string; reference: string; translation: string }[];
  /** One translation with its attention weights (for the heatmap). */
  attentionExample: Translation | null;
  modelDir: string;
  training: TaskResult['training'];
  notes: string[];
  counts: { train: number; dev: number; test: number; sourceVocabulary: number; targetVocabulary: number; skipped: number };
}

/** Trains a translation model (see the file comment). */
export async function trainTranslate(overrides: Partial<TranslateConfig> = {}, hooks: TaskHooks = {}): Promise<TranslateResult> {
  const config: TranslateConfig = { ...TRANSLATE_DEFAULTS, ...overrides };
  const notes: string[] = [];
  const note = (m: string): void => {
    notes.push(m);
    hooks.onNote?.(m);
  };
  if ((config.score as string) === 'dot') {
    throw new UserError(`score 'dot' needs queries and keys of one size, but the decoder has ${config.hidden} units and the bidirectional encoder ${2 * config.hidden}; use general or additive`, 2);
  }
  const dataPath = config.data ?? bundledData('translate');
  const splits = loadTranslationData(dataPath, { source: config.source, target: config.target, variant: config.variant, swap: config.swap, seed: config.seed });
  splits.notes.forEach(note);
  const tok = (p: Pair): { s: string[]; t: string[] } => ({ s: tokenize(p.src, config.lowercase), t: tokenize(p.tgt, config.lowercase) });
  const trainTok = splits.train.map(tok).filter((p) => p.s.length > 0 && p.t.length > 0);
  const kept = trainTok.filter((p) => p.s.length <= config.maxLen && p.t.length <= config.maxLen);
  const skipped = splits.train.length - kept.length;
  if (!kept.length) throw new UserError(`${dataPath}: no training pairs with both sides non-empty and at most ${config.maxLen} tokens`);
  if (skipped) note(`training: ${skipped} pairs skipped (an empty side, or longer than --max-len ${config.maxLen} tokens)`);

  // Vocabularies come from the checkpoint when resuming, so ids keep their meaning.
  const resumed = config.resume ? (readArtifacts(config.resume) as unknown as TranslateArtifacts) : null;
  const srcVocab = resumed ? Vocabulary.fromJSON(resumed.sourceVocabulary) : Vocabulary.build(kept.map((p) => p.s), { minFreq: config.minFreq, maxSize: config.maxVocab });
  const tgtVocab = resumed ? Vocabulary.fromJSON(resumed.targetVocabulary) : buildTargetVocabulary(kept.map((p) => p.t), config.minFreq, config.maxVocab);
  const encode = (p: { s: string[]; t: string[] }): EncodedPair => ({ src: srcVocab.encode(p.s.slice(0, config.maxLen)), tgt: tgtVocab.encode(p.t.slice(0, config.maxLen)) });
  const trainPairs = kept.map(encode);
  const devPairs = splits.dev.map(tok).map(encode);
  const testPairs = splits.test.map(tok).map(encode);
  note(`data: ${splits.sourceName} → ${splits.targetName}, ${trainPairs.length} train / ${devPairs.length} dev / ${testPairs.length} test pairs; vocabularies ${srcVocab.size} source, ${tgtVocab.size} target (min frequency ${config.minFreq})`);

  const s2s = buildSeq2Seq({ ...config }, srcVocab.size, tgtVocab.size);
  const artifacts: TranslateArtifacts = { task: 'translate', sourceVocabulary: srcVocab.toJSON(), targetVocabulary: tgtVocab.toJSON(), config };
  const translator = new Translator(s2s, srcVocab, tgtVocab, config);
  const refs = (pairs: Pair[]): string[] => pairs.map((p) => (config.lowercase ? p.tgt.toLowerCase() : p.tgt));
  const devRefs = refs(splits.dev);
  const greedyTexts = (pairs: EncodedPair[]): string[] =>
    greedyDecode(s2s, pairs.map((p) => p.src), { maxLen: config.maxLen * 2, maxLenA: config.maxLenA, maxLenB: config.maxLenB, batchSize: 128 }).map((d) => detokenize(d.tokens.map((id) => tgtVocab.tokens[id])));
  const mode = s2s.needsStepLoop(config.teacherForcing) ? 'step loop' : 'fused whole-sequence decoder';
  note(`model: ${config.encoderLayers}-layer bidirectional ${config.cell.toUpperCase()} encoder, ${config.decoderLayers}-layer ${config.decoder} decoder (${config.score} attention, ${mode}), ${s2s.model.countParams().toLocaleString('en-US')} parameters`);

  const training = await train<TranslationBatch>(
    {
      model: s2s.model,
      loss: (b, isTraining) => batchLoss(s2s, b, isTraining, config),
      batches: (epoch, seed) => epochBatches(trainPairs, config.batchSize, seed * 1000 + epoch),
      batchSize: (b) => b.index.length,
      evaluate: () => {
        const hyps = greedyTexts(devPairs);
        const bleu = corpusBleu(hyps, devRefs).score;
        // Example translations go to the progress output only (not into the result's notes).
        for (let i = 0; i < Math.min(config.examples, hyps.length); i++) hooks.onNote?.(`  dev ${i + 1}: ${splits.dev[i].src}\n     → ${hyps[i]}\n     (${splits.dev[i].tgt})`);
        return { bleu, perplexity: perplexity(s2s, devPairs, config.batchSize) };
      },
      artifacts: artifacts as unknown as Record<string, unknown>,
      config: { ...config, sourceVocabulary: srcVocab.size, targetVocabulary: tgtVocab.size },
    },
    engineOptions(config, hooks, { metric: 'bleu', mode: 'max' }),
  );

  // The best checkpoint, evaluated with the final decoder settings (beam search).
  const bestDir = path.join(config.out, 'best');
  const best = training.bestEpoch >= 0 ? await Translator.load(bestDir) : translator;
  const evaluateSplit = (pairs: EncodedPair[], raw: Pair[]): { bleu: number; perplexity: number; hyps: string[] } => {
    const hyps = best.decodeIds(pairs.map((p) => p.src)).map((d) => detokenize(d.tokens.map((id) => best.tgtVocab.tokens[id])));
    return { bleu: corpusBleu(hyps, refs(raw)).score, perplexity: perplexity(best.seq2seq, pairs, config.batchSize), hyps };
  };
  const dev = evaluateSplit(devPairs, splits.dev);
  const test = testPairs.length ? evaluateSplit(testPairs, splits.test) : null;
  const shown = test ? { raw: splits.test, hyps: test.hyps } : { raw: splits.dev, hyps: dev.hyps };
  const samples = shown.raw.slice(0, Math.max(config.examples, 5)).map((p, i) => ({ source: p.src, reference: p.tgt, translation: shown.hyps[i] }));
  const example = shown.raw.find((p) => tokenize(p.src, config.lowercase).length >= 4) ?? shown.raw[0];
  const attentionExample = example ? best.translate([example.src], { attention: true })[0] : null;
  if (best !== translator) best.dispose();
  s2s.dispose();
  return {
    dev: { bleu: dev.bleu, perplexity: dev.perplexity },
    test: test ? { bleu: test.bleu, perplexity: test.perplexity } : null,
    samples,
    attentionExample,
    modelDir: training.bestEpoch >= 0 ? bestDir : path.join(config.out, 'last'),
    training,
    notes,
    counts: { train: trainPairs.length, dev: devPairs.length, test: testPairs.length, sourceVocabulary: srcVocab.size, targetVocabulary: tgtVocab.size, skipped },
  };
}

const OPTIONS: TaskOption[] = [
  { key: 'source', type: 'string', valueName: 'lang', help: 'source language suffix of parallel files (train.LANG)' },
  { key: 'target', type: 'string', valueName: 'lang', help: 'target language suffix of parallel files' },
  { key: 'variant', type: 'string', valueName: 'infix', help: "which parallel files when there are several kinds (e.g. 'lc.norm.tok' for train.lc.norm.tok.de)" },
  { key: 'swap', type: 'boolean', help: 'TSV data: translate the second column into the first' },
  { key: 'lowercase', type: 'boolean', help: 'lowercase both sides (BLEU then ignores case)' },
  { key: 'cell', type: 'choice', choices: ['gru', 'lstm', 'rnn'], help: 'recurrent cell of encoder and decoder' },
  { key: 'hidden', type: 'int', help: 'hidden units (per direction in the encoder)' },
  { key: 'encoderLayers', type: 'int', help: 'stacked bidirectional encoder layers' },
  { key: 'decoderLayers', type: 'int', help: 'stacked decoder layers' },
  { key: 'embeddingDim', type: 'int', help: 'word-embedding size' },
  { key: 'decoder', type: 'choice', choices: ['luong', 'input-feeding', 'bahdanau'], help: 'attention on top of a fused decoder (luong), or in a step loop (input-feeding, bahdanau)' },
  { key: 'score', type: 'choice', choices: ['general', 'additive'], help: 'attention score: Luong general, or Bahdanau additive' },
  { key: 'dropout', type: 'number', min: 0, max: 0.9, valueName: 'p', help: 'dropout rate' },
  { key: 'teacherForcing', type: 'number', min: 0, max: 1, valueName: 'ratio', help: 'probability of feeding the gold previous token in training (< 1 uses the step loop)' },
  { key: 'labelSmoothing', type: 'number', min: 0, max: 0.5, valueName: 'eps', help: 'label smoothing of the training loss' },
  { key: 'minFreq', type: 'int', help: 'vocabulary: minimum token count' },
  { key: 'maxVocab', type: 'int', help: 'vocabulary: maximum size per side' },
  { key: 'maxLen', type: 'int', help: 'skip training pairs longer than this many tokens' },
  { key: 'beamSize', type: 'int', help: 'beam size of the final evaluation and predictions (1 = greedy)' },
  { key: 'lengthPenalty', type: 'number', min: 0, max: 5, valueName: 'alpha', help: 'beam search ranks by log-probability / length^alpha' },
  { key: 'maxLenA', type: 'number', min: 0, max: 10, valueName: 'a', help: 'decode at most a·|source| + b tokens: a' },
  { key: 'maxLenB', type: 'int', min: 0, valueName: 'b', help: 'decode at most a·|source| + b tokens: b' },
  { key: 'examples', type: 'int', min: 0, help: 'dev translations shown after each epoch' },
];

const PREDICT_OPTIONS: TaskOption[] = [
  { key: 'beamSize', type: 'int', valueName: 'k', help: "beam size (1 = greedy; default: the model's)" },
  { key: 'lengthPenalty', type: 'number', min: 0, max: 5, valueName: 'alpha', help: "length normalisation exponent (default: the model's)" },
  { key: 'attention', type: 'boolean', help: 'print the attention weights of each sentence as a text heatmap on stderr (greedy)' },
];

export const task = defineTask<TranslateOwnConfig, Translator>({
  name: 'translate',
  description: 'seq2seq translation (encoder-decoder with attention, beam search, BLEU)',
  dataHelp:
    'a directory of parallel files (train.SRC + train.TGT, dev from val.* / dev.*, test from test*.*; pick the languages with --source/--target), ' +
    'or a tab-separated file of source<TAB>target pairs (Tatoeba format, extra columns ignored; split 90/5/5), or a directory with train.tsv [dev.tsv test.tsv]',
  options: OPTIONS,
  defaults: TRANSLATE_DEFAULTS,
  metric: 'bleu',
  examples: [
    'rnn-train --task translate',
    'rnn-train --task translate --data ../shared/data/translation/multi30k --source de --target en --variant lc.norm.tok --out runs/multi30k',
    'rnn-train --task translate --data fra.txt --swap --lowercase',
    'rnn-predict --model runs/translate/best "the first of may, nineteen eighty-two"',
  ],

  async train(config, hooks = {}): Promise<TaskResult> {
    const r = await trainTranslate(config, hooks);
    const report: string[] = [];
    report.push(`BLEU (sacreBLEU 13a, beam ${(config.beamSize ?? TRANSLATE_DEFAULTS.beamSize)}): dev ${r.dev.bleu.toFixed(2)}${r.test ? `, test ${r.test.bleu.toFixed(2)}` : ''}; perplexity dev ${r.dev.perplexity.toFixed(2)}${r.test ? `, test ${r.test.perplexity.toFixed(2)}` : ''}`);
    report.push('', `sample translations (${r.test ? 'test' : 'dev'}):`);
    for (const s of r.samples) report.push(`  ${s.source}`, `    → ${s.translation}`, `    (${s.reference})`);
    const figures = [];
    if (r.attentionExample?.attention?.length) {
      report.push('', `attention (rows: output, columns: source; darker = more weight):`, ...attentionText(r.attentionExample).map((l) => `  ${l}`));
      figures.push({
        title: 'Attention weights of one translation',
        caption: `"${r.attentionExample.source}" → "${r.attentionExample.translation}" (greedy decoding; each row sums to 1 over the source tokens)`,
        spec: attentionSpec(r.attentionExample),
      });
    }
    return {
      metrics: { dev: r.dev, ...(r.test ? { test: r.test } : {}) },
      modelDir: r.modelDir,
      training: r.training,
      notes: r.notes,
      report,
      summary: { samples: r.samples, counts: r.counts },
      hint: `rnn-predict --model ${r.modelDir} ${JSON.stringify(r.samples[0]?.source ?? 'a sentence')}`,
      figures,
    };
  },

  load: (dir) => Translator.load(dir),
  predictOptions: PREDICT_OPTIONS,
  onnxGraph: 'greedy translation in one graph (source ids -> output tokens, lengths, log-probabilities; an ONNX Loop of decoder steps)',
  predictHelp: 'Input: sentences as arguments, or one per line on stdin. Output: one translation per line, or with --json {"source","translation","logProb"} per line.',
  async predict(translator, io, options) {
    const texts = io.args.length ? io.args : (await io.readStdin()).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
    if (!texts.length) throw new UserError('nothing to translate: give sentences as arguments or pipe lines on stdin', 2);
    const beamSize = options.beamSize as number | undefined;
    const lengthPenalty = options.lengthPenalty as number | undefined;
    if (translator.onnxRuntime) {
      if (beamSize !== undefined && beamSize > 1) io.note(`beam search (--beam-size ${beamSize}) runs on tfjs; onnxruntime runs greedy decoding only`);
      else if (beamSize === undefined && translator.config.beamSize > 1) io.note(`onnxruntime decodes greedily (the model's default is beam ${translator.config.beamSize}, which runs on tfjs: --engine tfjs)`);
    }
    const out = translator.translate(texts, { beamSize, lengthPenalty });
    const withAttention = options.attention === true ? translator.translate(texts, { attention: true }) : null;
    out.forEach((t, i) => {
      if (io.json) io.write(`${JSON.stringify({ source: t.source, translation: t.translation, logProb: t.logProb })}\n`);
      else io.write(`${t.translation}\n`);
      if (withAttention) io.note(`attention of "${t.source}" (rows: output, columns: source):\n${attentionText(withAttention[i]).join('\n')}`);
    });
  },
});
