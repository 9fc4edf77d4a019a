/**
 * Character (or word) language modelling through the task contract
 * (src/task.ts): the options and defaults of `rnn-train --task charlm`, and
 * rnn-generate / rnn-predict / rnn-export on its checkpoints. The pieces, in the
 * order data flows: config.ts → data.ts → model.ts → loss.ts → train.ts →
 * generate.ts (sampling) → predict.ts (CharLm); onnx.ts: the stateful graph.
 */
import { defineTask, TaskOption } from '../../src/task';
import { CHARLM_DEFAULTS, CharLmOwnConfig } from './config';
import { CharLm, generateCommand } from './predict';
import { trainCharLm } from './train';

export { CHARLM_DEFAULTS } from './config';
export type { CharLmConfig, CharLmOwnConfig, LmLevel } from './config';
export { buildLmModel, LmNet } from './model';
export { pickSymbol, generateIds } from './generate';
export type { SamplingOptions, GenerateOptions } from './generate';
export { chunkLoss, streamLoss } from './loss';
export { CharLm, generateCommand } from './predict';
export type { CharLmArtifacts } from './predict';
export { trainCharLm } from './train';

const OWN_OPTIONS: TaskOption[] = [
  { key: 'level', type: 'choice', choices: ['char', 'word'], help: 'model characters, or whitespace-separated words (perplexity reported)' },
  { key: 'cell', type: 'choice', choices: ['lstm', 'gru'], help: 'recurrent cell' },
  { key: 'layers', type: 'int', help: 'stacked recurrent layers' },
  { key: 'hidden', type: 'int', help: 'hidden units per layer' },
  { key: 'embeddingDim', type: 'int', help: 'symbol embedding size' },
  { key: 'dropout', type: 'number', min: 0, max: 0.95, help: 'dropout on embeddings, between layers and before the output' },
  { key: 'bptt', type: 'int', valueName: 'k', help: 'truncated BPTT: steps per batch (states carry across batches)' },
  { key: 'carryStates', type: 'boolean', help: 'carry recurrent states across batches (--no-carry-states: reset every batch)' },
  { key: 'minEpochSteps', type: 'int', valueName: 'n', help: 'repeat the training text within an epoch until it has this many batches' },
  { key: 'valFraction', type: 'number', min: 0.001, max: 0.5, valueName: 'f', help: 'fraction at the end of a single file held out for validation' },
  { key: 'minFreq', type: 'int', help: 'vocabulary: keep symbols seen at least this often' },
  { key: 'maxVocab', type: 'int', help: 'vocabulary: at most this many entries' },
  { key: 'samples', type: 'int', min: 0, help: 'samples generated after every epoch' },
  { key: 'sampleLength', type: 'int', help: 'length of those samples (symbols)' },
  { key: 'sampleTemperature', type: 'number', min: 0, max: 10, help: 'temperature of those samples' },
];

/** rnn-generate's / rnn-predict's options for a language model. */
export const GENERATE_OPTIONS: TaskOption[] = [
  { key: 'prime', type: 'string', valueName: 'text', help: 'text to start from (default: the arguments, else stdin, else a line start)' },
  { key: 'length', type: 'int', short: 'n', help: 'symbols to generate (default 500)' },
  { key: 'temperature', type: 'number', min: 0, max: 100, short: 't', help: 'sampling temperature; 0 = greedy argmax (default 1)' },
  { key: 'topK', type: 'int', min: 0, valueName: 'k', help: 'sample only from the k most likely symbols; 0 = all (default 0)' },
  { key: 'topP', type: 'number', min: 0.0001, max: 1, valueName: 'p', help: 'nucleus sampling: the most likely symbols with total probability p (default 1)' },
  { key: 'seed', type: 'int', min: 0, help: 'seed of the sampling (default 1)' },
  { key: 'count', type: 'int', help: 'samples per prime, seeds seed, seed+1, ... (default 1)' },
];

export const task = defineTask<CharLmOwnConfig, CharLm>({
  name: 'charlm',
  description: 'character (or word) language model over a long text: truncated BPTT, generation with temperature / top-k / top-p',
  dataHelp: 'a UTF-8 text file (first 90% trains, last 10% validates), or a directory with train.txt and valid.txt (optional test.txt); default: the bundled 8,422 English first names',
  options: OWN_OPTIONS,
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['level', 'cell', 'layers', 'hidden', 'embeddingDim'],
  defaults: CHARLM_DEFAULTS,
  metric: 'lossNats',
  examples: [
    'rnn-train --task charlm                                   # bundled first names, a few minutes',
    'rnn-train --task charlm --data ../shared/data/charlm/tinyshakespeare.txt --out runs/shakespeare',
    'rnn-train --task charlm --level word --data corpus/ --hidden 256 --dropout 0.3',
    'rnn-generate --model runs/charlm/best --prime "ROMEO:" --length 400 --temperature 0.7',
  ],
  train: trainCharLm,
  load: CharLm.load,
  predictOptions: GENERATE_OPTIONS,
  onnxGraph: 'the language model with its recurrent states as inputs and outputs (score text, or generate one symbol per call)',
  predictHelp: 'Input: primes as arguments or --prime, else all of stdin, else none (a line start). Output: each prime followed by its generated text, streamed as it is produced, or with --json {"prime","seed","text"} per line.',
  predict: generateCommand,
});
