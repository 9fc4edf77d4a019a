/**
 * The tagger's PyTorch twin (rnn-export --format torch): PosTagger in
 * python/torch_twin/models.py (word nn.Embedding ++ a character BiLSTM/GRU/RNN over
 * the batch's distinct words → stacked BiRNN on packed sequences → nn.Linear, the
 * names of model.ts's layers), and the data splits read by data.ts's readers and
 * encoded with the checkpoint's word, character and tag lists: per sentence the
 * word ids, each word's character ids (wordChars) and the tag ids (-1: unseen).
 * Training sentences are cut at maxLen like the task's own training.
 */
import { Vocabulary } from '../../src/data/vocabulary';
import { loadModel } from '../../src/io/fs_handler';
import { bundledData } from '../../src/paths';
import type { TorchTwin, TorchTwinParts } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { outputUnits } from '../../src/train';
import { POS_DEFAULTS, PosTaskConfig } from './config';
import { loadTaggedSplits, TaggedSentence } from './data';
import { Encoders, makeBatch, splitLong, wordChars, wordKey } from './encode';
import type { PosArtifacts } from './train';

/** One split in python/torch_twin/data.py's pos format. */
interface EncodedTags {
  words: number[][];
  chars: number[][][];
  tags: number[][];
}

function encodeSplit(enc: Encoders, sentences: TaggedSentence[]): EncodedTags {
  const tagIndex = new Map(enc.tags.map((t, i) => [t, i]));
  return {
    words: sentences.map((s) => enc.words.encode(s.words.map(wordKey))),
    chars: sentences.map((s) => s.words.map((w) => enc.chars.encode(wordChars(w, enc.maxWordLen)))),
    tags: sentences.map((s) => s.tags.map((t) => tagIndex.get(t) ?? -1)),
  };
}

export const posTorchTwin: TorchTwin = {
  description: 'PosTagger: word nn.Embedding ++ character BiRNN (packed) → stacked BiLSTM/GRU/RNN (packed, masked) → nn.Linear per token',
  async prepare(dir: string, options: { data?: string }): Promise<TorchTwinParts> {
    const a = readTaskArtifacts<PosArtifacts>(dir, 'pos');
    const config: PosTaskConfig = { ...POS_DEFAULTS, ...a.config };
    const enc: Encoders = { words: Vocabulary.fromJSON(a.words), chars: Vocabulary.fromJSON(a.chars), tags: a.tags, maxWordLen: a.maxWordLen };
    const model = await loadModel(dir);
    const [words, wordDim] = model.getLayer('word_embedding').getWeights()[0].shape;
    const chars = a.withChars ? model.getLayer('char_embedding').getWeights()[0].shape[0] : 0;
    const charDim = a.withChars ? model.getLayer('char_embedding').getWeights()[0].shape[1] : 0;
    const tags = outputUnits(model) ?? a.tags.length;
    model.dispose();
    const dataPath = options.data ?? config.data ?? bundledData('pos');
    const splits = loadTaggedSplits(dataPath, config.format, a.tagColumn, config.seed);
    const train = splitLong(splits.train, config.maxLen);
    const devSentences = splits.dev.length ? splits.dev : splits.train;
    const picked = devSentences.slice(0, 4);
    const b = makeBatch(enc, picked, picked.map((_, i) => i));
    const sample: Record<string, number[][]> = a.withChars ? { word_ids: b.wordIds, char_ids: b.charIds, word_rows: b.wordRows } : { word_ids: b.wordIds };
    return {
      model: {
        words, wordDim, chars, charDim, tags,
        cell: config.cell, hidden: config.hidden, layers: config.layers, charHidden: config.charHidden, dropout: config.dropout, tagNames: a.tags,
      },
      train: { epochs: config.epochs, batchSize: config.batchSize, lr: config.lr, clipNorm: config.clipNorm, wordDropout: config.wordDropout, seed: config.seed },
      splits: { train: encodeSplit(enc, train), dev: encodeSplit(enc, splits.dev), test: encodeSplit(enc, splits.test) },
      sample,
      notes: [
        ...splits.notes,
        `data: ${dataPath}: ${train.length} train / ${splits.dev.length} dev / ${splits.test.length} test sentences, encoded with the checkpoint's ${a.words.length} words, ${a.chars.length} characters and ${a.tags.length} tags`,
      ],
    };
  },
};
