/**
 * Intrinsic evaluation of word vectors, as the word2vec literature reports it:
 *  - similarity: word pairs with human scores (WordSim-353, SimLex, MEN: lines
 *    "w1 w2 score", tab or space separated, '#' comments): Spearman's ρ between
 *    the scores and the cosines over the pairs both of whose words have vectors;
 *  - analogies: the Google questions (questions-words.txt: ": section" headers,
 *    then "a b c d" meaning a:b :: c:d): 3CosAdd (argmax cos(x, b − a + c), a, b,
 *    c excluded) over the `restrict` most frequent words, as word2vec's
 *    compute-accuracy does (30,000), counting only questions whose four words
 *    are among them. The scores are a tfjs matMul in batches.
 * Words are lowercased first when `lowercase` is set (vocabularies trained on
 * lowercased text).
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { WordVectors } from './word_vectors';

export interface SimilarityPair {
  a: string;
  b: string;
  score: number;
}

export interface AnalogyQuestion {
  section: string;
  words: [string, string, string, string];
}

function readText(file: string): string[] {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file`);
  return fs.readFileSync(file, 'utf8').split('\n');
}

/** Reads word pairs with scores; a line that is not "w1 w2 number" is an error naming it. */
export function readSimilarityFile(file: string): SimilarityPair[] {
  const out: SimilarityPair[] = [];
  readText(file).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/[\t ]+/);
    const score = Number(parts[2]);
    if (parts.length < 3 || !Number.isFinite(score)) {
      if (i === 0 && parts.length >= 3) return; // a header row ("Word 1  Word 2  Human (mean)")
      throw new UserError(`${file}:${i + 1}: expected "word1 word2 score", got "${line.slice(0, 60)}"`);
    }
    out.push({ a: parts[0], b: parts[1], score });
  });
  if (!out.length) throw new UserError(`${file}: no word pairs`);
  return out;
}

/** Reads analogy questions in the Google format. */
export function readAnalogyFile(file: string): AnalogyQuestion[] {
  const out: AnalogyQuestion[] = [];
  let section = '';
  readText(file).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (line.startsWith(':')) {
      section = line.slice(1).trim();
      return;
    }
    const parts = line.split(/\s+/);
    if (parts.length !== 4) throw new UserError(`${file}:${i + 1}: expected four words "a b c d" (a is to b as c is to d), got "${line.slice(0, 60)}"`);
    out.push({ section, words: parts as [string, string, string, string] });
  });
  if (!out.length) throw new UserError(`${file}: no analogy questions`);
  return out;
}

/** Ranks with ties averaged (1-based). */
function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson correlation of the tie-averaged ranks); NaN under two points. */
export function spearman(x: number[], y: number[]): number {
  if (x.length !== y.length) throw new Error('spearman: arrays of different lengths');
  if (x.length < 2) return NaN;
  const rx = ranks(x);
  const ry = ranks(y);
  const mx = rx.reduce((a, b) => a + b, 0) / rx.length;
  const my = ry.reduce((a, b) => a + b, 0) / ry.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

export interface SimilarityResult {
  spearman: number;
  /** Pairs with both words in the vocabulary, and all pairs. */
  covered: number;
  total: number;
}

export function evaluateSimilarity(wv: WordVectors, pairs: SimilarityPair[], lowercase = true): SimilarityResult {
  const key = (w: string): string => (lowercase ? w.toLowerCase() : w);
  const human: number[] = [];
  const model: number[] = [];
  for (const p of pairs) {
    const s = wv.similarity(key(p.a), key(p.b));
    if (Number.isNaN(s)) continue;
    human.push(p.score);
    model.push(s);
  }
  return { spearman: spearman(human, model), covered: human.length, total: pairs.length };
}

export interface AnalogyResult {
  /** Right answers over covered questions. */
  accuracy: number;
  correct: number;
  covered: number;
  total: number;
  /** Per section: correct, covered, total. */
  sections: { section: string; correct: number; covered: number; total: number }[];
}

/** 3CosAdd accuracy over the `restrict` most frequent words (rows 0..restrict-1 of a frequency-sorted vocabulary). */
export function evaluateAnalogies(wv: WordVectors, questions: AnalogyQuestion[], options: { restrict?: number; lowercase?: boolean; batch?: number } = {}): AnalogyResult {
  const K = Math.min(options.restrict ?? 30000, wv.size);
  const lowercase = options.lowercase ?? true;
  const D = wv.dim;
  const unit = wv.normalized();
  const ids = questions.map((q) => q.words.map((w) => {
    const i = wv.index.get(lowercase ? w.toLowerCase() : w);
    return i !== undefined && i < K ? i : -1;
  }));
  const covered = ids.map((x, i) => [x, i] as const).filter(([x]) => x.every((i) => i >= 0));
  const right = new Uint8Array(questions.length);
  const bs = options.batch ?? 512;
  if (covered.length) {
    // [D, K], transposed once: a plain matMul is several times faster than transposeB on the wasm backend.
    const Mt = tf.tidy(() => tf.transpose(tf.tensor2d(unit.subarray(0, K * D), [K, D])));
    try {
      for (let s = 0; s < covered.length; s += bs) {
        const part = covered.slice(s, s + bs);
        const q = new Float32Array(part.length * D);
        part.forEach(([[a, b, c]], r) => {
          for (let d = 0; d < D; d++) q[r * D + d] = unit[b * D + d] - unit[a * D + d] + unit[c * D + d];
        });
        const scoresT = tf.tidy(() => tf.matMul(tf.tensor2d(q, [part.length, D]), Mt)); // [B, K]
        const scores = scoresT.dataSync();
        scoresT.dispose();
        part.forEach(([[a, b, c, d], qi], r) => {
          let best = -1;
          let bestS = -Infinity;
          const o = r * K;
          for (let x = 0; x < K; x++) {
            const v = scores[o + x];
            if (v > bestS && x !== a && x !== b && x !== c) {
              bestS = v;
              best = x;
            }
          }
          if (best === d) right[qi] = 1;
        });
      }
    } finally {
      Mt.dispose();
    }
  }
  const bySection = new Map<string, { section: string; correct: number; covered: number; total: number }>();
  questions.forEach((q, i) => {
    const s = bySection.get(q.section) ?? { section: q.section, correct: 0, covered: 0, total: 0 };
    s.total++;
    if (ids[i].every((x) => x >= 0)) s.covered++;
    s.correct += right[i];
    bySection.set(q.section, s);
  });
  const correct = right.reduce((a, b) => a + b, 0);
  return { accuracy: covered.length ? correct / covered.length : NaN, correct, covered: covered.length, total: questions.length, sections: [...bySection.values()] };
}
