/**
 * rnn-predict for word2vec checkpoints: each input (an argument or a line of
 * stdin) is a word, answered with its nearest neighbours, or an analogy
 * "king - man + woman" (3CosAdd: words closest to king − man + woman, inputs
 * excluded), answered with the closest words; cosine scores, as text or JSON.
 */
import * as fs from 'fs';
import * as path from 'path';
import { WordVectors } from '../../src/embeddings/word_vectors';
import type { Neighbour } from '../../src/embeddings/word_vectors';
import type { PredictIO, TaskPredictor } from '../../src/task';
import { readLines } from '../../src/data/text_file';
import { loadModel } from '../../src/io/fs_handler';
import { UserError } from '../../src/errors';
import { artifactList, embeddingRowsOf, expectArtifactSize, readArtifacts, resolveCheckpoint } from '../../src/train';
import { EMBEDDING_LAYER, embeddingTable } from './model';
import type { Word2VecArtifacts } from './train';

export interface Word2VecPredictOptions {
  /** Answers per query. */
  top?: number;
}

/** A parsed query: a word, or Σ positive − Σ negative. */
export interface Query {
  text: string;
  positive: string[];
  negative: string[];
}

/** "paris" → one positive word; "king - man + woman" → positive [king, woman], negative [man]. */
export function parseQuery(text: string, lowercase: boolean): Query {
  const t = lowercase ? text.trim().toLowerCase() : text.trim();
  const positive: string[] = [];
  const negative: string[] = [];
  let sign = 1;
  for (const tok of t.split(/\s+/).filter(Boolean)) {
    if (tok === '+') sign = 1;
    else if (tok === '-') sign = -1;
    else {
      (sign > 0 ? positive : negative).push(tok);
      sign = 1;
    }
  }
  return { text: text.trim(), positive, negative };
}

export class Word2VecPredictor implements TaskPredictor {
  constructor(readonly vectors: WordVectors, readonly lowercase: boolean) {}

  static async load(dir: string): Promise<Word2VecPredictor> {
    const ckpt = resolveCheckpoint(dir);
    const art = readArtifacts(ckpt) as unknown as Word2VecArtifacts;
    if (art.task !== 'word2vec') throw new UserError(`${dir}: this checkpoint is for task '${String(art.task)}', not word2vec`);
    const words = artifactList(ckpt, art as unknown as Record<string, unknown>, 'words', 'word list');
    const model = await loadModel(ckpt);
    const rows = embeddingRowsOf(model, EMBEDDING_LAYER);
    if (rows === null) {
      model.dispose();
      throw new UserError(`${path.join(ckpt, 'model.json')}: no '${EMBEDDING_LAYER}' embedding layer: not a word2vec model`);
    }
    const t = embeddingTable(model);
    model.dispose();
    // the artifacts against the model: one line naming artifacts.json, not wrong neighbours later
    expectArtifactSize(ckpt, 'word list', words.length, 'embedding table', t.vocabSize);
    return new Word2VecPredictor(new WordVectors(art.words, t.dim, t.data), art.lowercase);
  }

  /** Neighbours (one word) or analogy answers (several); `missing` lists words without vectors. */
  answer(q: Query, k: number): { neighbours: Neighbour[] } | { missing: string[] } {
    if (q.positive.length === 1 && q.negative.length === 0) {
      const n = this.vectors.neighbours(q.positive[0], k);
      return n ? { neighbours: n } : { missing: q.positive };
    }
    return this.vectors.analogy(q.positive, q.negative, k);
  }

  dispose(): void {}
}

/** Inputs: arguments, or files named as arguments, or lines of stdin. */
async function inputs(io: PredictIO): Promise<string[]> {
  if (io.args.length) {
    if (io.args.every((a) => fs.existsSync(a) && fs.statSync(a).isFile() && path.extname(a) !== '')) return io.args.flatMap((f) => readLines(f));
    return io.args;
  }
  return (await io.readStdin()).split('\n');
}

export async function predictWord2Vec(p: Word2VecPredictor, io: PredictIO, options: Word2VecPredictOptions): Promise<void> {
  const k = options.top ?? 10;
  const queries = (await inputs(io)).map((s) => s.trim()).filter(Boolean);
  if (!queries.length) io.note('no queries: give words ("paris") or analogies ("king - man + woman") as arguments or on stdin');
  for (const text of queries) {
    const q = parseQuery(text, p.lowercase);
    const a = q.positive.length ? p.answer(q, k) : { missing: [] as string[] };
    if (io.json) {
      io.write(`${JSON.stringify({ query: q.text, positive: q.positive, negative: q.negative, ...('neighbours' in a ? { neighbours: a.neighbours.map((n) => ({ word: n.word, cosine: Math.round(n.cosine * 1e4) / 1e4 })) } : { missing: a.missing }) })}\n`);
    } else if ('neighbours' in a) {
      io.write(`${q.text}\n${a.neighbours.map((n) => `  ${n.word.padEnd(16)} ${n.cosine.toFixed(4)}`).join('\n')}\n`);
    } else {
      io.write(`${q.text}\n  (no vector for ${a.missing.length ? a.missing.map((w) => `'${w}'`).join(', ') : 'an empty query'})\n`);
    }
  }
}
