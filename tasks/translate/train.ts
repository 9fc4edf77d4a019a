/**
 * A translation run, end to end: data.ts (pairs → 13a tokens → vocabularies →
 * length-sorted batches) → model.ts (encoder-decoder with attention) → the
 * engine (src/train) on loss.ts → dev BLEU (greedy) and perplexity every epoch →
 * the best checkpoint evaluated on dev and test with beam search, with samples
 * and one attention map. No argv here. Next: predict.ts (the Translator).
 */
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { corpusBleu } from '../../src/metrics/bleu';
import { bundledData } from '../../src/paths';
import type { TaskHooks, TaskResult } from '../../src/task';
import { bestOrLastDir, hasBest, noteSink, readTaskArtifacts } from '../../src/task_artifacts';
import { engineOptions, train } from '../../src/train';
import { TRANSLATE_DEFAULTS, TranslateConfig } from './config';
import { Bpe, learnBpe, parseSubwords } from './bpe';
import { buildTargetVocabulary, EncodedPair, epochBatches, loadTranslationData, Pair, tokenize, TranslationBatch } from './data';
import { greedyDecode } from './decode';
import { batchLoss, perplexity } from './loss';
import { buildSeq2Seq } from './model';
import { translateParallel } from './replica';
import { TranslateArtifacts, Translation, Translator } from './predict';

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
  const { notes, note } = noteSink(hooks);
  if ((config.score as string) === 'dot') {
    throw new UserError(`score 'dot' needs queries and keys of one size, but the decoder has ${config.hidden} units and the bidirectional encoder ${2 * config.hidden}; use general or additive`, 2);
  }
  const dataPath = config.data ?? bundledData('translate');
  const splits = loadTranslationData(dataPath, { source: config.source, target: config.target, variant: config.variant, swap: config.swap, seed: config.seed });
  splits.notes.forEach(note);
  let subwords: ReturnType<typeof parseSubwords>;
  try {
    subwords = parseSubwords(config.subwords);
  } catch (e) {
    throw new UserError((e as Error).message, 2);
  }
  const resumed = config.resume ? readTaskArtifacts<TranslateArtifacts>(config.resume, 'translate') : null;
  // Subword tables: from the checkpoint when resuming (ids keep their meaning), else learned on the training side.
  let bpe: { source: Bpe; target: Bpe } | null = null;
  if (resumed?.sourceBpe && resumed.targetBpe) bpe = { source: Bpe.fromJSON(resumed.sourceBpe), target: Bpe.fromJSON(resumed.targetBpe) };
  else if (subwords) {
    const words = splits.train.map((p) => ({ s: tokenize(p.src, config.lowercase), t: tokenize(p.tgt, config.lowercase) }));
    if (subwords.joint) {
      const shared = learnBpe([...words.map((p) => p.s), ...words.map((p) => p.t)], subwords.merges);
      bpe = { source: shared, target: shared };
    } else bpe = { source: learnBpe(words.map((p) => p.s), subwords.merges), target: learnBpe(words.map((p) => p.t), subwords.merges) };
    note(`subwords: ${bpe.source.merges.length} source / ${bpe.target.merges.length} target byte-pair merges${subwords.joint ? ' (one joint table)' : ''}`);
  }
  const tok = (p: Pair): { s: string[]; t: string[] } => {
    const s = tokenize(p.src, config.lowercase);
    const t = tokenize(p.tgt, config.lowercase);
    return bpe ? { s: bpe.source.encode(s), t: bpe.target.encode(t) } : { s, t };
  };
  const trainTok = splits.train.map(tok).filter((p) => p.s.length > 0 && p.t.length > 0);
  const kept = trainTok.filter((p) => p.s.length <= config.maxLen && p.t.length <= config.maxLen);
  const skipped = splits.train.length - kept.length;
  if (!kept.length) throw new UserError(`${dataPath}: no training pairs with both sides non-empty and at most ${config.maxLen} tokens`);
  if (skipped) note(`training: ${skipped} pairs skipped (an empty side, or longer than --max-len ${config.maxLen} tokens)`);

  // Vocabularies come from the checkpoint when resuming, so ids keep their meaning.
  const srcVocab = resumed ? Vocabulary.fromJSON(resumed.sourceVocabulary) : Vocabulary.build(kept.map((p) => p.s), { minFreq: config.minFreq, maxSize: config.maxVocab });
  const tgtVocab = resumed ? Vocabulary.fromJSON(resumed.targetVocabulary) : buildTargetVocabulary(kept.map((p) => p.t), config.minFreq, config.maxVocab);
  const encode = (p: { s: string[]; t: string[] }): EncodedPair => ({ src: srcVocab.encode(p.s.slice(0, config.maxLen)), tgt: tgtVocab.encode(p.t.slice(0, config.maxLen)) });
  const trainPairs = kept.map(encode);
  const devPairs = splits.dev.map(tok).map(encode);
  const testPairs = splits.test.map(tok).map(encode);
  note(`data: ${splits.sourceName} → ${splits.targetName}, ${trainPairs.length} train / ${devPairs.length} dev / ${testPairs.length} test pairs; vocabularies ${srcVocab.size} source, ${tgtVocab.size} target (min frequency ${config.minFreq})`);

  const s2s = buildSeq2Seq({ ...config }, srcVocab.size, tgtVocab.size);
  const artifacts: TranslateArtifacts = {
    task: 'translate', sourceVocabulary: srcVocab.toJSON(), targetVocabulary: tgtVocab.toJSON(), config,
    ...(bpe ? { sourceBpe: bpe.source.toJSON(), targetBpe: bpe.target.toJSON() } : {}),
  };
  const translator = new Translator(s2s, srcVocab, tgtVocab, config, bpe);
  const refs = (pairs: Pair[]): string[] => pairs.map((p) => (config.lowercase ? p.tgt.toLowerCase() : p.tgt));
  const devRefs = refs(splits.dev);
  const greedyTexts = (pairs: EncodedPair[]): string[] =>
    greedyDecode(s2s, pairs.map((p) => p.src), { maxLen: config.maxLen * 2, maxLenA: config.maxLenA, maxLenB: config.maxLenB, batchSize: 128 }).map((d) => translator.textOf(d.tokens.map((id) => tgtVocab.tokens[id])));
  const mode = s2s.needsStepLoop(config.teacherForcing) ? 'step loop' : 'fused whole-sequence decoder';
  note(`model: ${config.encoderLayers}-layer bidirectional ${config.cell.toUpperCase()} encoder, ${config.decoderLayers}-layer ${config.decoder} decoder (${config.score} attention, ${mode}), ${s2s.model.countParams().toLocaleString('en-US')} parameters`);

  const training = await train<TranslationBatch>(
    {
      model: s2s.model,
      loss: (b, isTraining) => batchLoss(s2s, b, isTraining, config),
      batches: (epoch, seed) => epochBatches(trainPairs, config.batchSize, seed * 1000 + epoch),
      batchSize: (b) => b.index.length,
      ...translateParallel({ config, srcVocab: srcVocab.size, tgtVocab: tgtVocab.size }), // data-parallel workers (--workers n|auto)
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
  const modelDir = bestOrLastDir(training, config.out);
  const best = hasBest(training) ? await Translator.load(modelDir) : translator;
  const evaluateSplit = (pairs: EncodedPair[], raw: Pair[]): { bleu: number; perplexity: number; hyps: string[] } => {
    const hyps = best.decodeIds(pairs.map((p) => p.src)).map((d) => best.textOf(d.tokens.map((id) => best.tgtVocab.tokens[id])));
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
    modelDir,
    training,
    notes,
    counts: { train: trainPairs.length, dev: devPairs.length, test: testPairs.length, sourceVocabulary: srcVocab.size, targetVocabulary: tgtVocab.size, skipped },
  };
}
