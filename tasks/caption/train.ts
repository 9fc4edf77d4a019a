/**
 * A captioning run, end to end: data.ts (examples → vocabulary → shuffled
 * (image, caption) batches) → model.ts (CNN encoder + attention decoder) → the
 * engine (src/train) on loss.ts → dev BLEU-4 (greedy) every epoch → the best
 * checkpoint evaluated on dev and test with beam search (BLEU-1…4, exact match),
 * plus a blank-image control (does the model look?) and one attention example.
 * No argv here. Next: predict.ts.
 */
import { UserError } from '../../src/errors';
import type { TaskHooks, TaskResult } from '../../src/task';
import { bestOrLastDir, hasBest, noteSink, readTaskArtifacts } from '../../src/task_artifacts';
import { engineOptions, train } from '../../src/train';
import { CaptionConfig, resolveCaptionConfig, scaleToData } from './config';
import { CaptionBatch, CaptionExample, epochBatches, loadCaptionData, orderedBatches, Pair, tokenize, WordVocabulary } from './data';
import { batchLoss, perplexity } from './loss';
import { buildCaptioner } from './model';
import { Caption, CaptionArtifacts, CaptionModel, captionScores } from './predict';

export type CaptionMetrics = { bleu1: number; bleu2: number; bleu3: number; bleu4: number; exact: number; perplexity: number };

export interface CaptionResult {
  dev: CaptionMetrics;
  test: CaptionMetrics | null;
  /** The same test images replaced by blank ones (a model that ignores the image scores about as well). */
  blank: { bleu4: number; exact: number } | null;
  samples: { image: string; caption: string; reference: string }[];
  attentionExample: (Caption & { image: string }) | null;
  grid: number;
  modelDir: string;
  training: TaskResult['training'];
  notes: string[];
  counts: { trainImages: number; trainPairs: number; dev: number; test: number; vocabulary: number };
}

const images = (ex: CaptionExample[]): Float32Array => {
  const px = ex[0]?.pixels.length ?? 0;
  const out = new Float32Array(ex.length * px);
  ex.forEach((e, i) => out.set(e.pixels, i * px));
  return out;
};

/** The options given (undefined values dropped: they mean "not given", so defaults that scale with the data apply). */
function resumedGiven(overrides: Partial<CaptionConfig>): Partial<CaptionConfig> {
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<CaptionConfig>;
}

/** Trains a captioner (see the file comment). */
export async function trainCaption(overrides: Partial<CaptionConfig> = {}, hooks: TaskHooks = {}): Promise<CaptionResult> {
  const given = resumedGiven(overrides);
  let config: CaptionConfig = resolveCaptionConfig(given);
  const { notes, note } = noteSink(hooks);
  if (config.imageSize % (1 << config.encoderDepth) !== 0) throw new UserError(`--image-size ${config.imageSize} must be divisible by 2^--encoder-depth (${1 << config.encoderDepth})`, 2);
  const splits = loadCaptionData(config.data, { seed: config.seed, imageSize: config.imageSize, channels: config.channels, scenes: config.scenes });
  const resumed = config.resume ? readTaskArtifacts<CaptionArtifacts>(config.resume, 'caption') : null;
  const pairCount = splits.train.reduce((n, e) => n + e.captions.length, 0);
  config = scaleToData(config, given, splits.train.length, pairCount); // the same data scales to the same values, so a resumed run keeps its shape
  const vocab = resumed ? new WordVocabulary(resumed.vocabulary) : WordVocabulary.build(splits.train.flatMap((e) => e.captions.map(tokenize)), config.minFreq);
  const toPairs = (ex: CaptionExample[]): Pair[] => ex.flatMap((e, i) => e.captions.map((c) => ({ image: i, ids: vocab.encode(tokenize(c).slice(0, config.maxLen)) })));
  const trainPairs = toPairs(splits.train);
  const devBatches = orderedBatches(splits.dev, toPairs(splits.dev), 64);
  note(`data: ${splits.source}; ${splits.train.length} train images (${trainPairs.length} captions) / ${splits.dev.length} dev / ${splits.test.length} test; vocabulary ${vocab.size} words`);

  const captioner = buildCaptioner({ ...config }, vocab.size);
  const G = captioner.grid;
  note(`model: ${config.encoderDepth}-block CNN (widths ${Array.from({ length: config.encoderDepth }, (_, i) => config.encoderWidth << i).join(', ')}) → ${G}×${G} grid, ${config.cell.toUpperCase()} ${config.hidden} decoder with attention over the cells, ${captioner.model.countParams().toLocaleString('en-US')} parameters`);
  const artifacts: CaptionArtifacts = { task: 'caption', vocabulary: vocab.tokens, imageSize: config.imageSize, channels: config.channels, config };
  const live = new CaptionModel(captioner, vocab, config);
  const devImages = images(splits.dev);
  const devRefs = splits.dev.map((e) => e.captions);

  const training = await train<CaptionBatch>(
    {
      model: captioner.model,
      loss: (b, isTraining) => batchLoss(captioner, b, isTraining, config.labelSmoothing),
      batches: (epoch, seed) => epochBatches(splits.train, trainPairs, config.batchSize, seed * 1000 + epoch),
      batchSize: (b) => b.rows.length,
      evaluate: () => {
        const hyps = live.caption(devImages, splits.dev.length, { beamSize: 1 }).map((c) => c.caption);
        const s = captionScores(hyps, devRefs);
        hooks.onNote?.(`  dev 1: ${hyps[0]}   (${devRefs[0][0]})`);
        return { bleu4: s.bleu4, exact: s.exact, perplexity: perplexity(captioner, devBatches) };
      },
      artifacts: artifacts as unknown as Record<string, unknown>,
      config: { ...config, vocabulary: vocab.size },
    },
    engineOptions(config, hooks, { metric: 'bleu4', mode: 'max' }),
  );

  const modelDir = bestOrLastDir(training, config.out);
  const best = hasBest(training) ? await CaptionModel.load(modelDir) : live;
  const evaluate = (ex: CaptionExample[]): { m: CaptionMetrics; hyps: string[] } => {
    const hyps = best.caption(images(ex), ex.length).map((c) => c.caption);
    const s = captionScores(hyps, ex.map((e) => e.captions));
    return { m: { ...s, perplexity: perplexity(best.captioner, orderedBatches(ex, toPairs(ex), 64)) }, hyps };
  };
  const dev = evaluate(splits.dev);
  const test = splits.test.length ? evaluate(splits.test) : null;
  let blank: CaptionResult['blank'] = null;
  if (splits.test.length) {
    const hyps = best.caption(new Float32Array(images(splits.test).length), splits.test.length).map((c) => c.caption);
    const s = captionScores(hyps, splits.test.map((e) => e.captions));
    blank = { bleu4: s.bleu4, exact: s.exact };
  }
  const shown = test ? { ex: splits.test, hyps: test.hyps } : { ex: splits.dev, hyps: dev.hyps };
  const samples = shown.ex.slice(0, 5).map((e, i) => ({ image: e.id, caption: shown.hyps[i], reference: e.captions[0] }));
  const exAtt = shown.ex.find((e) => tokenize(e.captions[0]).length >= 5) ?? shown.ex[0];
  const attentionExample = exAtt ? { ...best.caption(exAtt.pixels, 1, { attention: true })[0], image: exAtt.id } : null;
  if (best !== live) best.dispose();
  captioner.dispose();
  return {
    dev: dev.m,
    test: test?.m ?? null,
    blank,
    samples,
    attentionExample,
    grid: G,
    modelDir,
    training,
    notes,
    counts: { trainImages: splits.train.length, trainPairs: trainPairs.length, dev: splits.dev.length, test: splits.test.length, vocabulary: vocab.size },
  };
}
