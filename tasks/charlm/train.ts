/**
 * A language-model run, end to end: data.ts (text → symbols → vocabulary → id
 * streams → truncated-BPTT batches: B parallel tracks, states carried across
 * batches by CarriedStates) → model.ts (stacked LSTM/GRU) → the engine
 * (src/train) on loss.ts → validation loss in nats and bits per symbol and
 * samples every epoch → the best checkpoint → report. No argv here: the CLI
 * maps options onto CharLmConfig. Next: predict.ts (CharLm, generation).
 */
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { bundledData } from '../../src/paths';
import type { TaskHooks, TaskResult } from '../../src/task';
import { bestOrLastDir, hasBest, noteSink, readTaskArtifacts } from '../../src/task_artifacts';
import { engineOptions, train } from '../../src/train';
import { CHARLM_DEFAULTS, CharLmConfig } from './config';
import { buildVocabulary, checkStreamLength, Corpus, epochBatches, LmBatch, readCorpus, toSymbols, trackLength } from './data';
import { lmMetrics, streamLoss } from './loss';
import { buildLmModel } from './model';
import { charlmParallel, lmLoss } from './replica';
import { CharLm, CharLmArtifacts } from './predict';

/** Cross-entropy of `stream` under the training symbols' add-one-smoothed unigram frequencies (the no-context baseline). */
function unigramNats(trainStream: Int32Array, stream: Int32Array, V: number): number {
  const counts = new Float64Array(V).fill(1);
  for (const id of trainStream) counts[id]++;
  const total = counts.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 1; i < stream.length; i++) sum -= Math.log(counts[stream[i]] / total);
  return sum / Math.max(1, stream.length - 1);
}

/** A few samples from the model (seeded), e.g. after an epoch. */
function samples(lm: CharLm, config: CharLmConfig, seed: number): string[] {
  return Array.from({ length: config.samples }, (_, i) =>
    lm.generate({ length: config.sampleLength, temperature: config.sampleTemperature, seed: seed * 101 + i }),
  );
}

/** A sample on one line (line ends shown as ⏎). */
const oneLine = (s: string): string => s.replace(/\n/g, ' ⏎ ');

function checkConfig(c: CharLmConfig): void {
  if (c.level !== 'char' && c.level !== 'word') throw new UserError(`level must be 'char' or 'word', got '${String(c.level)}'`, 2);
  for (const k of ['layers', 'hidden', 'embeddingDim', 'bptt', 'batchSize', 'minEpochSteps', 'maxVocab'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new UserError(`${k} must be a positive integer, got ${String(c[k])}`, 2);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new UserError(`dropout must be in [0, 1), got ${c.dropout}`, 2);
}

export async function trainCharLm(overrides: Partial<CharLmConfig> = {}, hooks: TaskHooks = {}): Promise<TaskResult> {
  const config: CharLmConfig = { ...CHARLM_DEFAULTS, ...overrides };
  checkConfig(config);
  const { notes, note } = noteSink(hooks);
  const dataPath = config.data ?? bundledData('charlm', 'names.txt');
  const corpus: Corpus = readCorpus(dataPath, config.valFraction);
  corpus.notes.forEach(note);

  // The vocabulary comes from the checkpoint when resuming, so ids keep their meaning.
  const resumed = config.resume ? readTaskArtifacts<CharLmArtifacts>(config.resume, 'charlm') : null;
  const trainSymbols = toSymbols(corpus.train, config.level);
  const vocab = resumed ? Vocabulary.fromJSON(resumed.vocabulary) : buildVocabulary(trainSymbols, config.minFreq, config.maxVocab);
  const encode = (symbols: string[]): Int32Array => Int32Array.from(vocab.encode(symbols));
  const trainStream = encode(trainSymbols);
  const devStream = encode(toSymbols(corpus.dev, config.level));
  const testStream = corpus.test !== null ? encode(toSymbols(corpus.test, config.level)) : null;
  checkStreamLength(trainStream.length, config.batchSize, `${dataPath} (training part)`);
  const unit = config.level === 'char' ? 'characters' : 'words';
  const devUnk = devStream.reduce((n, id) => n + (id === 1 ? 1 : 0), 0);
  note(`${config.level}-level: ${trainStream.length} training / ${devStream.length} validation ${unit}${testStream ? ` / ${testStream.length} test` : ''}, vocabulary ${vocab.size} (incl. <pad>, <unk>)${devUnk ? `; ${devUnk} validation ${unit} unknown` : ''}`);

  const net = buildLmModel(config, vocab.size);
  const B = config.batchSize;
  const { loss, carried } = lmLoss(net, trainStream, config.carryStates);
  const artifacts: CharLmArtifacts = { task: 'charlm', level: config.level, vocabulary: vocab.toJSON(), config };
  const lm = new CharLm(net, vocab, config.level, config);
  const stepsPerPass = Math.ceil(trackLength(trainStream.length, B) / config.bptt);
  const passes = Math.ceil(config.minEpochSteps / stepsPerPass);
  note(`truncated BPTT: ${B} tracks of ${trackLength(trainStream.length, B)} ${unit}, ${config.bptt} steps per batch; ${stepsPerPass} batches per pass${passes > 1 ? `, ${passes} passes per epoch` : ''}`);
  const evalChunk = config.carryStates ? Math.max(config.bptt, 200) : config.bptt;
  let evaluations = 0;

  const training = await train<LmBatch>(
    {
      model: net.model,
      loss,
      // data-parallel workers (--workers n|auto): shards are ranges of tracks, each carrying its own states
      ...charlmParallel({ config, vocabSize: vocab.size, stream: trainStream }),
      batches: (epoch, seed) => epochBatches(trainStream.length, B, config.bptt, config.minEpochSteps, epoch, seed),
      batchSize: (b) => b.B * b.T,
      evaluate: () => {
        const m = lmMetrics(streamLoss(net, devStream, B, evalChunk, config.carryStates).nats, config.level);
        const shown = samples(lm, config, config.seed + evaluations++);
        shown.forEach((s, i) => note(`sample ${i + 1}: ${oneLine(s)}`));
        return m;
      },
      artifacts: artifacts as unknown as Record<string, unknown>,
      config: config as unknown as Record<string, unknown>,
      carried,
    },
    engineOptions(config, hooks, { metric: 'lossNats', mode: 'min' }),
  );
  carried.dispose();

  // Report on the best checkpoint (the in-memory weights are the last epoch's).
  const modelDir = bestOrLastDir(training, config.out);
  const best = hasBest(training) ? await CharLm.load(modelDir) : lm;
  const dev = hasBest(training) ? training.bestDev : lmMetrics(streamLoss(best.net, devStream, B, evalChunk, config.carryStates).nats, config.level);
  const test = testStream ? lmMetrics(streamLoss(best.net, testStream, B, evalChunk, config.carryStates).nats, config.level) : undefined;
  const finalSamples = samples(best, config, config.seed + 7919);
  const unigram = unigramNats(trainStream, devStream, vocab.size);
  if (best !== lm) best.dispose();
  lm.dispose();

  const per = config.level === 'char' ? 'char' : 'word';
  const report = [
    `validation: ${dev.lossNats.toFixed(4)} nats/${per}` +
      (config.level === 'char' ? ` (${dev.bitsPerChar.toFixed(4)} bits/char)` : ` (perplexity ${dev.perplexity.toFixed(2)})`) +
      `; unigram baseline ${unigram.toFixed(4)} nats/${per}`,
    ...(test ? [`test: ${test.lossNats.toFixed(4)} nats/${per}${config.level === 'word' ? ` (perplexity ${test.perplexity.toFixed(2)})` : ''}`] : []),
    `samples (temperature ${config.sampleTemperature}):`,
    ...finalSamples.map((s) => `  ${oneLine(s)}`),
  ];
  return {
    metrics: { dev, ...(test ? { test } : {}) },
    modelDir,
    training,
    notes,
    report,
    summary: { samples: finalSamples, baselines: { unigramNats: unigram }, vocabulary: vocab.size, level: config.level },
    hint: `rnn-generate --model ${modelDir} --length 300 --temperature 0.8`,
  };
}
