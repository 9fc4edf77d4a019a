/**
 * Word vectors in memory: a vocabulary (most frequent first, when it comes from
 * training) and one float32 row per word. What the word2vec task produces, what
 * the vector-file readers return (formats.ts), and what `--pretrained FILE`
 * seeds embedding layers from. Cosine queries (neighbours, 3CosAdd analogies)
 * run on unit-length rows.
 */
import * as tf from '@tensorflow/tfjs';

/** One answer of a cosine query. */
export interface Neighbour {
  word: string;
  cosine: number;
}

export class WordVectors {
  /** Row index of each word. */
  readonly index: Map<string, number>;
  private unit: Float32Array | null = null;

  /**
   * @param words the vocabulary, row i = words[i] (unique)
   * @param dim   vector size
   * @param data  words.length × dim floats, row-major
   */
  constructor(readonly words: string[], readonly dim: number, readonly data: Float32Array) {
    if (data.length !== words.length * dim) throw new Error(`WordVectors: ${words.length} words × ${dim} dims needs ${words.length * dim} floats, got ${data.length}`);
    this.index = new Map();
    words.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
    });
  }

  get size(): number {
    return this.words.length;
  }

  /** Alias of `dim` (the shape src/data/pretrained.ts's readers use). */
  get dims(): number {
    return this.dim;
  }

  /** The vector of a word (a view into `data`), or undefined. */
  get(word: string): Float32Array | undefined {
    const i = this.index.get(word);
    return i === undefined ? undefined : this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Rows scaled to unit length (computed once; zero rows stay zero). */
  normalized(): Float32Array {
    if (this.unit) return this.unit;
    const D = this.dim;
    const u = new Float32Array(this.data.length);
    for (let r = 0; r < this.size; r++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += this.data[r * D + d] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let d = 0; d < D; d++) u[r * D + d] = this.data[r * D + d] * inv;
    }
    this.unit = u;
    return u;
  }

  /** Cosine similarity of two words (NaN when either is missing). */
  similarity(a: string, b: string): number {
    const i = this.index.get(a);
    const j = this.index.get(b);
    if (i === undefined || j === undefined) return NaN;
    const u = this.normalized();
    const D = this.dim;
    let s = 0;
    for (let d = 0; d < D; d++) s += u[i * D + d] * u[j * D + d];
    return s;
  }

  /**
   * The `k` rows most cosine-similar to `query` among the first `limit` words,
   * skipping `exclude` (row ids). `query` need not be unit length.
   */
  nearest(query: ArrayLike<number>, k: number, exclude: ReadonlySet<number> = new Set(), limit = this.size): Neighbour[] {
    const u = this.normalized();
    const D = this.dim;
    let qn = 0;
    for (let d = 0; d < D; d++) qn += query[d] * query[d];
    const qinv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
    const best: { i: number; s: number }[] = [];
    const n = Math.min(limit, this.size);
    for (let r = 0; r < n; r++) {
      if (exclude.has(r)) continue;
      let s = 0;
      for (let d = 0; d < D; d++) s += u[r * D + d] * query[d];
      s *= qinv;
      if (best.length < k || s > best[best.length - 1].s) {
        let p = best.length < k ? best.length : k - 1;
        if (best.length < k) best.push({ i: r, s });
        while (p > 0 && best[p - 1].s < s) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = { i: r, s };
      }
    }
    return best.map((b) => ({ word: this.words[b.i], cosine: b.s }));
  }

  /** Nearest neighbours of a word (itself excluded); undefined when the word has no vector. */
  neighbours(word: string, k = 10): Neighbour[] | undefined {
    const i = this.index.get(word);
    if (i === undefined) return undefined;
    const u = this.normalized();
    return this.nearest(u.subarray(i * this.dim, (i + 1) * this.dim), k, new Set([i]));
  }

  /**
   * 3CosAdd: the words closest to Σ positive − Σ negative (unit vectors), inputs
   * excluded, e.g. analogy(['king', 'woman'], ['man']) → queen. Returns the
   * missing words instead when some have no vector.
   */
  analogy(positive: string[], negative: string[], k = 10): { neighbours: Neighbour[] } | { missing: string[] } {
    const missing = [...positive, ...negative].filter((w) => !this.index.has(w));
    if (missing.length) return { missing };
    const u = this.normalized();
    const D = this.dim;
    const q = new Float32Array(D);
    const exclude = new Set<number>();
    for (const [ws, sign] of [[positive, 1], [negative, -1]] as const) {
      for (const w of ws) {
        const i = this.index.get(w) as number;
        exclude.add(i);
        for (let d = 0; d < D; d++) q[d] += sign * u[i * D + d];
      }
    }
    return { neighbours: this.nearest(q, k, exclude) };
  }

  /** The table as a tensor [V, D] (the caller disposes it). */
  toTensor(): tf.Tensor2D {
    return tf.tensor2d(this.data, [this.size, this.dim]);
  }

  /**
   * A tf.layers.embedding initialised with these vectors: input ids are rows of
   * `words` (shift your ids or pass `rows` to map a vocabulary of your own).
   */
  embeddingLayer(config: { trainable?: boolean; name?: string; maskZero?: boolean } = {}): tf.layers.Layer {
    const table = this.toTensor();
    const layer = tf.layers.embedding({ inputDim: this.size, outputDim: this.dim, weights: [table], ...config });
    table.dispose();
    return layer;
  }

  /** The vectors of the first n words (the n most frequent, for a frequency-sorted vocabulary). */
  head(n: number): WordVectors {
    const m = Math.min(n, this.size);
    return new WordVectors(this.words.slice(0, m), this.dim, this.data.slice(0, m * this.dim));
  }
}

/**
 * Copies vectors into rows of an embedding table for a vocabulary of your own:
 * row id gets the vector of tokens[id] when it has one (ids in `skip`, e.g. 0
 * padding and 1 unknown, keep theirs). Returns how many rows were filled; the
 * others keep their values (random init).
 */
export function fillEmbeddingRows(table: Float32Array, dim: number, tokens: readonly string[], vectors: WordVectors, skip: ReadonlySet<number> = new Set([0, 1])): number {
  let found = 0;
  const D = Math.min(dim, vectors.dim);
  tokens.forEach((w, id) => {
    if (skip.has(id)) return;
    const v = vectors.get(w);
    if (!v) return;
    found++;
    for (let d = 0; d < D; d++) table[id * dim + d] = v[d];
  });
  return found;
}
