/**
 * Word representations through the task contract (src/task.ts): word2vec
 * skip-gram and CBOW with negative sampling, trained on a text corpus by
 * lock-free threads over shared memory; vectors saved as .vec / .bin; WordSim-style
 * similarity and Google analogies after every epoch; rnn-predict answers
 * neighbours and analogies.
 */
import { defineTask, TaskOption } from '../../src/task';
import { WORD2VEC_DEFAULTS, Word2VecConfig } from './config';
import { word2vecFigures } from './figures';
import { predictWord2Vec, Word2VecPredictOptions, Word2VecPredictor } from './predict';
import { trainWord2Vec } from './train';

export { WORD2VEC_DEFAULTS, DEFAULT_LR } from './config';
export type { Word2VecConfig, Word2VecTaskConfig } from './config';
export { buildVocab, countCorpus, lineTokens, removeCorpus } from './data';
export { buildEmbeddingModel, embeddingTable, EMBEDDING_LAYER } from './model';
export { parseQuery, predictWord2Vec, Word2VecPredictor } from './predict';
export { trainWord2Vec } from './train';
export { WordVectors } from '../../src/embeddings/word_vectors';
export { readVectors, writeVectors } from '../../src/embeddings/formats';
export { evaluateAnalogies, evaluateSimilarity, readAnalogyFile, readSimilarityFile } from '../../src/embeddings/evaluate';
export type { Word2VecArtifacts, Word2VecRun } from './train';

const OPTIONS: TaskOption[] = [
  { key: 'model', type: 'choice', choices: ['skipgram', 'cbow'], help: 'skip-gram (a word predicts its context) or CBOW (the context predicts the word)' },
  { key: 'dim', type: 'int', help: 'vector size' },
  { key: 'window', type: 'int', help: 'maximum context distance (each position draws 1..window)' },
  { key: 'negative', type: 'int', help: 'negative samples per positive (unigram^0.75)' },
  { key: 'minCount', type: 'int', help: 'drop words seen fewer times' },
  { key: 'maxVocab', type: 'int', min: 0, valueName: 'n', help: 'keep the n most frequent words (0 = all)' },
  { key: 'sample', type: 'number', min: 0, max: 1, valueName: 't', help: "subsampling threshold of frequent words (word2vec's formula; 0 = off)" },
  { key: 'tokenize', type: 'choice', choices: ['words', 'whitespace'], help: 'words: lowercase, punctuation split off; whitespace: tokens as they are' },
  { key: 'evalSimilarity', type: 'string', valueName: 'file', help: 'word pairs with human scores (WordSim-353 format): Spearman ρ after every epoch' },
  { key: 'evalAnalogies', type: 'string', valueName: 'file', help: 'Google analogy questions (questions-words.txt): 3CosAdd accuracy after every epoch' },
  { key: 'analogyVocab', type: 'int', valueName: 'n', help: 'analogies: search the n most frequent words' },
  { key: 'save', type: 'choice', choices: ['vec', 'bin', 'both', 'none'], help: 'vector files written into OUT (vectors.vec text, vectors.bin binary)' },
  { key: 'kernel', type: 'choice', choices: ['auto', 'wasm', 'js'], help: 'hot loop: WebAssembly SIMD or plain JavaScript' },
  { key: 'showWords', type: 'list', valueName: 'words', help: 'words whose neighbours the report lists' },
];

const PREDICT_OPTIONS: TaskOption[] = [{ key: 'top', type: 'int', short: 'n', valueName: 'n', help: 'answers per query' }];

const f3 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export const task = defineTask<Word2VecConfig, Word2VecPredictor>({
  name: 'word2vec',
  description: 'word vectors (skip-gram / CBOW with negative sampling) from a text corpus, on all cores',
  dataHelp: 'a text file (gzipped or not), one sentence or paragraph per line; default: the bundled Brown corpus sample',
  options: OPTIONS,
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['model', 'dim', 'tokenize'],
  defaults: WORD2VEC_DEFAULTS,
  metric: 'similarity',
  examples: [
    'rnn-train --task word2vec',
    'rnn-train --task word2vec --data corpus.txt --workers 2 --eval-similarity wordsim353.tsv --eval-analogies questions-words.txt',
    'rnn-train --task word2vec --data corpus.txt --model cbow --dim 200 --window 8 --epochs 10',
    'rnn-predict --model runs/word2vec/best paris "king - man + woman"',
  ],

  async train(config, hooks = {}) {
    const r = await trainWord2Vec(config, hooks);
    const last = r.epochs[r.epochs.length - 1];
    const report: string[] = [
      `corpus: ${r.counts.tokens} tokens, vocabulary ${r.counts.vocab} words; ${r.speed.threads} thread${r.speed.threads > 1 ? 's' : ''} (${r.speed.kernel}): ` +
        `${Math.round(r.speed.wordsPerSec)} words/s (${Math.round(r.speed.wordsPerSecPerThread)} per thread), ${r.speed.trainSeconds.toFixed(1)} s training`,
    ];
    if (last?.similarity) report.push(`similarity: Spearman ρ ${f3(last.similarity.spearman)} over ${last.similarity.covered} of ${last.similarity.total} pairs`);
    if (last?.analogies) report.push(`analogies: ${pct(last.analogies.accuracy)} of ${last.analogies.covered} covered questions (${pct(last.analogies.covered / last.analogies.total)} of ${last.analogies.total})`);
    const shown = (config.showWords ?? WORD2VEC_DEFAULTS.showWords).map((w) => ({ w, n: r.vectors.neighbours(w, 6) })).filter((x) => x.n);
    if (shown.length) report.push('', 'nearest neighbours:', ...shown.map(({ w, n }) => `  ${w.padEnd(10)} ${n!.map((x) => `${x.word} ${x.cosine.toFixed(2)}`).join(', ')}`));
    return {
      metrics: { dev: r.dev },
      modelDir: r.modelDir,
      training: r.training,
      notes: r.notes,
      report,
      summary: {
        counts: r.counts,
        speed: r.speed,
        files: r.files,
        epochs: r.epochs.map((e) => ({ epoch: e.epoch + 1, loss: e.loss, wordsPerSec: Math.round(e.wordsPerSec), similarity: e.similarity, analogies: e.analogies && { ...e.analogies, sections: undefined } })),
        neighbours: Object.fromEntries(shown.map(({ w, n }) => [w, n])),
      },
      hint: `rnn-predict --model ${r.modelDir} ${shown[0]?.w ?? 'man'} "king - man + woman"`,
      figures: word2vecFigures(r.vectors, r.epochs),
    };
  },

  load: (dir) => Word2VecPredictor.load(dir),
  predictOptions: PREDICT_OPTIONS,
  predictHelp:
    'Input: words ("paris") or analogies ("king - man + woman") as arguments or one per line on stdin. ' +
    'Output: the nearest words with cosine similarities (text), or {"query","neighbours":[{"word","cosine"}]} per line with --json.',
  predict: (p, io, options) => predictWord2Vec(p, io, options as Word2VecPredictOptions),
});
