/**
 * The sentiment model's PyTorch twin (rnn-export --format torch): SentimentNet in
 * python/torch_twin/models.py (nn.Embedding → nn.LSTM/GRU/RNN on packed sequences
 * → last / masked max / masked mean → nn.Linear, the names of model.ts's layers),
 * and the data splits as token ids of the checkpoint's vocabulary with label ids
 * of its label list (data.ts's reader and encoder).
 */
import { loadModel } from '../../src/io/fs_handler';
import { bundledData } from '../../src/paths';
import type { TorchTwin, TorchTwinParts } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { outputUnits } from '../../src/train';
import { SENTIMENT_DEFAULTS, SentimentConfig } from './config';
import { EncodedSplit, prepareSentimentData, SentimentArtifacts } from './data';

/** The first `n` examples of a split as a padded token_ids batch (an empty text reads as <unk>, as the predictor does). */
function sampleBatch(split: EncodedSplit, n: number): number[][] {
  const seqs = split.seqs.slice(0, n).map((s) => (s.length ? s : [1]));
  const T = Math.max(1, ...seqs.map((s) => s.length));
  return seqs.map((s) => [...s, ...new Array<number>(T - s.length).fill(0)]);
}

export const sentimentTorchTwin: TorchTwin = {
  description: 'SentimentNet: nn.Embedding → nn.LSTM/GRU/RNN (packed, masked) → last / max / mean pooling → nn.Linear',
  async prepare(dir: string, options: { data?: string }): Promise<TorchTwinParts> {
    const a = readTaskArtifacts<SentimentArtifacts>(dir, 'sentiment');
    const config: SentimentConfig = { ...SENTIMENT_DEFAULTS, ...a.config };
    const model = await loadModel(dir);
    const [vocabSize, embeddingDim] = model.getLayer('embedding').getWeights()[0].shape;
    const numClasses = outputUnits(model) ?? a.labels.length;
    model.dispose();
    const dataPath = options.data ?? config.data ?? bundledData('sentiment');
    const d = prepareSentimentData(dataPath, config, a);
    const dev = d.dev.seqs.length ? d.dev : d.train;
    return {
      model: {
        vocabSize, embeddingDim, numClasses,
        cell: config.cell, hidden: config.hidden, layers: config.layers, bidirectional: config.bidirectional,
        pooling: config.pooling, dropout: config.dropout, labels: a.labels,
      },
      train: { epochs: config.epochs, batchSize: config.batchSize, lr: config.lr, clipNorm: config.clipNorm, wordDropout: config.wordDropout, seed: config.seed },
      splits: { train: d.train, dev: d.dev, test: d.test },
      sample: { token_ids: sampleBatch(dev, 4) },
      notes: [
        ...d.splits.notes,
        `data: ${dataPath}: ${d.train.seqs.length} train / ${d.dev.seqs.length} dev / ${d.test.seqs.length} test examples, encoded with the checkpoint's vocabulary (${a.vocabulary.length}) and labels (${a.labels.join(', ')})`,
      ],
    };
  },
};
