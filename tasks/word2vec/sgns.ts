/**
 * The hot loop of word2vec: skip-gram and CBOW with negative sampling over plain
 * Float32Arrays, as word2vec.c computes them (Mikolov et al. 2013), one sentence
 * at a time. Several threads run it at once on the same SharedArrayBuffer-backed
 * tables without locks (Hogwild, as word2vec.c and fastText do): updates are
 * sparse, so collisions are rare and harmless.
 *
 * Speed tricks: a precomputed sigmoid table (word2vec.c's 1000 entries over
 * [-6, 6]), no allocation in the loop (one scratch vector per thread), a 32-bit
 * xorshift RNG per thread, and negatives read sequentially from a shuffled
 * unigram^0.75 table (fastText's trick: a cache-friendly walk instead of a
 * random probe into a large table). Imports nothing, so worker threads load it fast.
 */

/** Sigmoid table: word2vec.c's EXP_TABLE_SIZE and MAX_EXP. */
export const EXP_TABLE_SIZE = 1000;
export const MAX_EXP = 6;

/** sigmoid(x) on EXP_TABLE_SIZE points of [-MAX_EXP, MAX_EXP), and -log(sigmoid) on the same points (for the loss). */
export function sigmoidTables(): { sig: Float32Array; nlogSig: Float32Array; nlogOneMinus: Float32Array } {
  const sig = new Float32Array(EXP_TABLE_SIZE + 1);
  const nlogSig = new Float32Array(EXP_TABLE_SIZE + 1);
  const nlogOneMinus = new Float32Array(EXP_TABLE_SIZE + 1);
  for (let i = 0; i <= EXP_TABLE_SIZE; i++) {
    const x = ((i / EXP_TABLE_SIZE) * 2 - 1) * MAX_EXP;
    const s = 1 / (1 + Math.exp(-x));
    sig[i] = s;
    nlogSig[i] = -Math.log(s);
    nlogOneMinus[i] = -Math.log(1 - s);
  }
  // Beyond ±MAX_EXP word2vec.c takes the sigmoid as exactly 0 or 1 (no update for a confident right answer).
  sig[0] = 0;
  sig[EXP_TABLE_SIZE] = 1;
  return { sig, nlogSig, nlogOneMinus };
}

/**
 * Fills `table` with word ids in proportion to count^power (word2vec's unigram
 * table, power 0.75), then shuffles it with the given seed so that reading it
 * sequentially is a random draw.
 */
export function fillUnigramTable(table: Int32Array, counts: ArrayLike<number>, power: number, seed: number): void {
  const V = counts.length;
  let total = 0;
  for (let w = 0; w < V; w++) total += Math.pow(counts[w], power);
  let w = 0;
  let cum = Math.pow(counts[0], power) / total;
  const n = table.length;
  for (let a = 0; a < n; a++) {
    table[a] = w;
    if ((a + 1) / n > cum && w < V - 1) {
      w++;
      cum += Math.pow(counts[w], power) / total;
    }
  }
  let r = seed | 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    r ^= r << 13;
    r ^= r >>> 17;
    r ^= r << 5;
    const j = (r >>> 0) % (i + 1);
    const t = table[i];
    table[i] = table[j];
    table[j] = t;
  }
}

/**
 * word2vec's subsampling as keep probabilities: a word of frequency f = count/total
 * is kept with probability (sqrt(f/t) + 1)·t/f, t = sample (≥ 1 keeps everything).
 * Returned scaled to [0, 2^32) so the loop compares against a raw 32-bit draw.
 */
export function keepThresholds(counts: ArrayLike<number>, total: number, sample: number): Float64Array {
  const out = new Float64Array(counts.length);
  for (let w = 0; w < counts.length; w++) {
    if (sample <= 0) {
      out[w] = 4294967296;
      continue;
    }
    const st = sample * total;
    const p = (Math.sqrt(counts[w] / st) + 1) * (st / counts[w]);
    out[w] = Math.min(1, p) * 4294967296;
  }
  return out;
}

/** Everything one thread's loop reads and writes (tables shared by all threads; scratch and RNG its own). */
export interface KernelState {
  /** Input vectors (the embeddings), V·D, row-major. */
  syn0: Float32Array;
  /** Output vectors of negative sampling, V·D. */
  syn1: Float32Array;
  dim: number;
  window: number;
  negative: number;
  /** Shuffled unigram^0.75 table and this thread's position in it. */
  table: Int32Array;
  tablePos: number;
  /** sigmoidTables(). */
  sig: Float32Array;
  nlogSig: Float32Array;
  nlogOneMinus: Float32Array;
  /** xorshift32 state (non-zero). */
  rng: number;
  /** Scratch vectors of length dim. */
  neu1: Float32Array;
  neu1e: Float32Array;
  /** Sum of the negative-sampling losses and how many terms (positives) it covers, since the caller last reset them. */
  loss: number;
  lossCount: number;
}

/** f ↦ table index: trunc((clamp(f, ±MAX_EXP) + MAX_EXP) · SCALE), a float32 constant as in the wasm module. */
const SCALE = Math.fround(EXP_TABLE_SIZE / MAX_EXP / 2);

/**
 * Skip-gram over one sentence of word ids `sen[0..n)`: every word predicts each
 * word of its (randomly shrunk) window, with one positive and `negative` sampled
 * targets, learning rate `alpha`. As word2vec.c: the context word's input vector
 * is the one updated, the centre word is the positive target.
 */
export function skipgramSentence(s: KernelState, sen: Int32Array, n: number, alpha: number): void {
  const syn0 = s.syn0;
  const syn1 = s.syn1;
  const D = s.dim;
  const W = s.window;
  const neg = s.negative;
  const table = s.table;
  const tableN = table.length;
  const sig = s.sig;
  const nls = s.nlogSig;
  const nlo = s.nlogOneMinus;
  const neu1e = s.neu1e;
  let pos = s.tablePos;
  let r = s.rng;
  let loss = 0;
  let terms = 0;
  for (let i = 0; i < n; i++) {
    const word = sen[i];
    r ^= r << 13;
    r ^= r >>> 17;
    r ^= r << 5;
    const b = (r >>> 0) % W;
    const lo = i - W + b < 0 ? 0 : i - W + b;
    const hi = i + W - b >= n ? n - 1 : i + W - b;
    const l2pos = word * D;
    for (let c = lo; c <= hi; c++) {
      if (c === i) continue;
      const l1 = sen[c] * D;
      for (let d = 0; d < D; d++) neu1e[d] = 0;
      for (let k = 0; k <= neg; k++) {
        let l2: number;
        let label: number;
        if (k === 0) {
          l2 = l2pos;
          label = 1;
        } else {
          const t = table[pos];
          pos = pos + 1 === tableN ? 0 : pos + 1;
          if (t === word) continue;
          l2 = t * D;
          label = 0;
        }
        let f = 0;
        let d = 0;
        for (; d + 3 < D; d += 4) {
          f += syn0[l1 + d] * syn1[l2 + d] + syn0[l1 + d + 1] * syn1[l2 + d + 1] + syn0[l1 + d + 2] * syn1[l2 + d + 2] + syn0[l1 + d + 3] * syn1[l2 + d + 3];
        }
        for (; d < D; d++) f += syn0[l1 + d] * syn1[l2 + d];
        const idx = ((f < -MAX_EXP ? -MAX_EXP : f > MAX_EXP ? MAX_EXP : f) + MAX_EXP) * SCALE | 0;
        const g = (label - sig[idx]) * alpha;
        loss += label === 1 ? nls[idx] : nlo[idx];
        for (d = 0; d < D; d++) {
          neu1e[d] += g * syn1[l2 + d];
          syn1[l2 + d] += g * syn0[l1 + d];
        }
      }
      for (let d = 0; d < D; d++) syn0[l1 + d] += neu1e[d];
      terms++;
    }
  }
  s.tablePos = pos;
  s.rng = r;
  s.loss += loss;
  s.lossCount += terms;
}

/**
 * CBOW over one sentence: the mean of the window's input vectors predicts the
 * centre word (one positive, `negative` sampled targets); the error is added to
 * every context word's input vector unscaled, as word2vec.c does with cbow_mean.
 */
export function cbowSentence(s: KernelState, sen: Int32Array, n: number, alpha: number): void {
  const syn0 = s.syn0;
  const syn1 = s.syn1;
  const D = s.dim;
  const W = s.window;
  const neg = s.negative;
  const table = s.table;
  const tableN = table.length;
  const sig = s.sig;
  const nls = s.nlogSig;
  const nlo = s.nlogOneMinus;
  const neu1 = s.neu1;
  const neu1e = s.neu1e;
  let pos = s.tablePos;
  let r = s.rng;
  let loss = 0;
  let terms = 0;
  for (let i = 0; i < n; i++) {
    const word = sen[i];
    r ^= r << 13;
    r ^= r >>> 17;
    r ^= r << 5;
    const b = (r >>> 0) % W;
    const lo = i - W + b < 0 ? 0 : i - W + b;
    const hi = i + W - b >= n ? n - 1 : i + W - b;
    for (let d = 0; d < D; d++) {
      neu1[d] = 0;
      neu1e[d] = 0;
    }
    let cw = 0;
    for (let c = lo; c <= hi; c++) {
      if (c === i) continue;
      const l1 = sen[c] * D;
      for (let d = 0; d < D; d++) neu1[d] += syn0[l1 + d];
      cw++;
    }
    if (cw === 0) continue;
    const inv = 1 / cw;
    for (let d = 0; d < D; d++) neu1[d] *= inv;
    for (let k = 0; k <= neg; k++) {
      let l2: number;
      let label: number;
      if (k === 0) {
        l2 = word * D;
        label = 1;
      } else {
        const t = table[pos];
        pos = pos + 1 === tableN ? 0 : pos + 1;
        if (t === word) continue;
        l2 = t * D;
        label = 0;
      }
      let f = 0;
      for (let d = 0; d < D; d++) f += neu1[d] * syn1[l2 + d];
      const idx = ((f < -MAX_EXP ? -MAX_EXP : f > MAX_EXP ? MAX_EXP : f) + MAX_EXP) * SCALE | 0;
      const g = (label - sig[idx]) * alpha;
      loss += label === 1 ? nls[idx] : nlo[idx];
      for (let d = 0; d < D; d++) {
        neu1e[d] += g * syn1[l2 + d];
        syn1[l2 + d] += g * neu1[d];
      }
    }
    for (let c = lo; c <= hi; c++) {
      if (c === i) continue;
      const l1 = sen[c] * D;
      for (let d = 0; d < D; d++) syn0[l1 + d] += neu1e[d];
    }
    terms++;
  }
  s.tablePos = pos;
  s.rng = r;
  s.loss += loss;
  s.lossCount += terms;
}
