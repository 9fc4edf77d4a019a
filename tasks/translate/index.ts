/**
 * Seq2seq translation through the task contract (src/task.ts): the options,
 * defaults and report of `rnn-train --task translate`, and `rnn-predict` /
 * `rnn-export` on its checkpoints. The pieces, in the order data flows:
 * config.ts → data.ts → model.ts → loss.ts → train.ts → decode.ts → predict.ts
 * (onnx.ts: the one-graph export).
 */
import { defineTask, TaskOption, TaskResult } from '../../src/task';
import { TRANSLATE_DEFAULTS, TranslateOwnConfig } from './config';
import { attentionSpec, attentionText, predictTranslate, Translator } from './predict';
import { trainTranslate } from './train';

export { TRANSLATE_DEFAULTS } from './config';
export type { TranslateConfig, TranslateOwnConfig, DecoderKind } from './config';
export { buildSeq2Seq, Seq2Seq } from './model';
export { greedyDecode, beamSearch } from './decode';
export { sequenceLoss, batchLoss, perplexity } from './loss';
export { Translator, attentionSpec, attentionText } from './predict';
export type { Translation, TranslateOptions, TranslateArtifacts } from './predict';
export { loadTranslationData, tokenize, detokenize } from './data';
export { trainTranslate } from './train';
export type { TranslateResult } from './train';

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
  { key: 'decoder', type: 'choice', choices: ['luong', 'input-feeding', 'bahdanau'], help: 'attention on top of a fused decoder (luong), or inside the fused attention decoder (input-feeding, bahdanau; GRU/LSTM)' },
  { key: 'score', type: 'choice', choices: ['general', 'additive'], help: 'attention score: Luong general, or Bahdanau additive' },
  { key: 'dropout', type: 'number', min: 0, max: 0.9, valueName: 'p', help: 'dropout rate' },
  { key: 'teacherForcing', type: 'number', min: 0, max: 1, valueName: 'ratio', help: 'probability of feeding the gold previous token in training (< 1: scheduled sampling, one decoder step per position)' },
  { key: 'labelSmoothing', type: 'number', min: 0, max: 0.5, valueName: 'eps', help: 'label smoothing of the training loss' },
  { key: 'minFreq', type: 'int', help: 'vocabulary: minimum token count' },
  { key: 'maxVocab', type: 'int', help: 'vocabulary: maximum size per side' },
  { key: 'maxLen', type: 'int', help: 'skip training pairs longer than this many tokens' },
  { key: 'beamSize', type: 'int', help: 'beam size of the final evaluation and predictions (1 = greedy)' },
  { key: 'lengthPenalty', type: 'number', min: 0, max: 5, valueName: 'alpha', help: 'beam search ranks by log-probability / length^alpha' },
  { key: 'maxLenA', type: 'number', min: 0, max: 10, valueName: 'a', help: 'decode at most a·|source| + b tokens: a' },
  { key: 'maxLenB', type: 'int', min: 0, valueName: 'b', help: 'decode at most a·|source| + b tokens: b' },
  { key: 'examples', type: 'int', min: 0, help: 'dev translations shown after each epoch' },
  { key: 'subwords', type: 'string', valueName: 'spec', help: "subword units: none, bpe:N (N byte-pair merges per language) or bpe-joint:N (one table for both); BLEU is on the joined words" },
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
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['source', 'target', 'swap', 'lowercase', 'subwords', 'cell', 'hidden', 'encoderLayers', 'decoderLayers', 'embeddingDim', 'decoder', 'score'],
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
  predict: (translator, io, options) => predictTranslate(translator, io, options),
});
