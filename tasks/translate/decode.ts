/**
 * Decoding: greedy and beam search, batched over sentences.
 *
 * Both run the encoder once per batch and then `Seq2Seq.step` in a loop. Each
 * step's tensors live in a tidy; only the decoder state (fixed shape) is carried,
 * and the chosen tokens are kept in plain arrays, so the number of live tensors
 * does not grow with the output length. A sentence stops at <eos> or at its
 * maximum length min(maxLen, a·|source| + b); the loop stops when all have.
 *
 * Beam search (K beams per sentence, rows n·K .. n·K+K−1): each step scores
 * the K·V continuations of every sentence, keeps the best 2K (tf.topk), and walks
 * them in order: an <eos> among the first K finishes a hypothesis (ranked by its
 * log-probability / length^α, length counting <eos>), other tokens extend a live
 * beam until K are live. A sentence is done when it has K finished hypotheses, or
 * when no live beam can beat its best finished one any more (a live beam's
 * log-probability only falls and its length is bounded, so its best possible
 * score is log p / (limit + 1)^α); at its maximum length its live beams are
 * finished as they are. The rows of finished sentences are dropped from the batch
 * (early finish), so a step only runs the sentences still decoding. With K = 1 this
 * is exactly greedy decoding.
 */
import * as tf from '@tensorflow/tfjs';
import { EOS_ID, SOS_ID } from './data';
import { DecoderState, Encoded, Seq2Seq } from './model';

export interface DecodeOptions {
  /** Upper bound on output tokens (excluding <eos>). */
  maxLen: number;
  /** Per-sentence bound a·|source| + b: a. Default 1.5. */
  maxLenA?: number;
  /** Per-sentence bound a·|source| + b: b. Default 10. */
  maxLenB?: number;
  /** Sentences per encoder call. Default 64. */
  batchSize?: number;
  /** Called after every decoder step (tests count live tensors with it). */
  onStep?: (t: number) => void;
}

export interface BeamOptions extends DecodeOptions {
  /** Beams per sentence. */
  beamSize: number;
  /** Length normalisation exponent α (0: raw log-probability). Default 1. */
  lengthPenalty?: number;
}

export interface Decoded {
  /** Output token ids, without <eos>. */
  tokens: number[];
  /** Log-probability of the output (including <eos> when it ended there). */
  logProb: number;
  /** Attention weights per output step [steps][source length] (greedy with `attention: true`). */
  attention?: number[][];
}

/**
 * log softmax over rows of logits [N, V] as x − lse with lse = max x − log max softmax(x):
 * the same values as tf.logSoftmax without its Exp and Log passes over all N·V entries
 * (several times slower than the Softmax kernel on wasm).
 */
export function logSoftmaxRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const lse = tf.sub(tf.max(x, 1, true), tf.log(tf.max(tf.softmax(x), 1, true)));
    return tf.sub(x, lse) as tf.Tensor2D;
  });
}

function limits(src: number[][], o: DecodeOptions): number[] {
  const a = o.maxLenA ?? 1.5;
  const b = o.maxLenB ?? 10;
  return src.map((s) => Math.max(1, Math.min(o.maxLen, Math.floor(a * s.length + b))));
}

/** Pads source rows into a batch (empty sources become one <unk>). */
export function sourceBatch(src: number[][]): { ids: tf.Tensor2D; lengths: number[] } {
  const rows = src.map((s) => (s.length ? s : [1]));
  const S = Math.max(...rows.map((r) => r.length));
  return { ids: tf.tensor2d(rows.map((r) => [...r, ...new Array(S - r.length).fill(0)]), [rows.length, S], 'int32'), lengths: rows.map((r) => r.length) };
}

/** Splits the sentences into batches of similar length, decodes each, returns results in input order. */
export function batched(src: number[][], batchSize: number, run: (rows: number[][]) => Decoded[]): Decoded[] {
  const order = [...src.keys()].sort((a, b) => src[a].length - src[b].length);
  const out: Decoded[] = new Array(src.length);
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    run(idx.map((j) => src[j])).forEach((d, r) => (out[idx[r]] = d));
  }
  return out;
}

/** Greedy decoding of source id sequences. With `attention`, also the weights of every step. */
export function greedyDecode(model: Seq2Seq, src: number[][], options: DecodeOptions & { attention?: boolean }): Decoded[] {
  return batched(src, options.batchSize ?? 64, (rows) => greedyBatch(model, rows, options));
}

function greedyBatch(model: Seq2Seq, rows: number[][], options: DecodeOptions & { attention?: boolean }): Decoded[] {
  const B = rows.length;
  const maxLens = limits(rows, options);
  const T = Math.max(...maxLens);
  const { ids, lengths } = sourceBatch(rows);
  const enc = model.encode(ids, lengths, false);
  ids.dispose();
  let state = model.initialState(enc);
  let prev = tf.fill([B], SOS_ID, 'int32') as tf.Tensor1D;
  const results: Decoded[] = rows.map(() => ({ tokens: [], logProb: 0, attention: options.attention ? [] : undefined }));
  const done = new Array(B).fill(false);
  try {
    for (let t = 0; t < T && done.some((d) => !d); t++) {
      const out = model.step(enc, prev, state);
      const [best, logp] = tf.tidy(() => {
        const lp = logSoftmaxRows(out.logits);
        const arg = tf.argMax(lp, 1);
        return [arg, tf.sum(tf.mul(lp, tf.oneHot(arg, lp.shape[1])), 1)];
      });
      const tok = best.dataSync() as Int32Array;
      const lp = logp.dataSync();
      const w = options.attention ? (out.weights.arraySync() as number[][]) : null;
      for (let i = 0; i < B; i++) {
        if (done[i]) continue;
        const r = results[i];
        r.logProb += lp[i];
        if (w) r.attention!.push(w[i].slice(0, lengths[i]));
        if (tok[i] === EOS_ID) done[i] = true;
        else {
          r.tokens.push(tok[i]);
          if (r.tokens.length >= maxLens[i]) done[i] = true;
        }
      }
      Seq2Seq.disposeState(state);
      prev.dispose();
      tf.dispose([out.logits, out.weights, logp]);
      state = out.state;
      prev = tf.cast(best, 'int32') as tf.Tensor1D;
      best.dispose();
      options.onStep?.(t);
    }
  } finally {
    Seq2Seq.disposeState(state);
    Seq2Seq.disposeEncoded(enc);
    prev.dispose();
  }
  return results;
}

/** Beam search over source id sequences (see the file comment). */
export function beamSearch(model: Seq2Seq, src: number[][], options: BeamOptions): Decoded[] {
  const K = options.beamSize;
  if (!Number.isInteger(K) || K < 1) throw new Error(`beamSize must be a positive integer, got ${String(K)}`);
  const perBatch = Math.max(1, Math.floor((options.batchSize ?? 64) / Math.min(K, 4)));
  return batched(src, perBatch, (rows) => beamBatch(model, rows, options));
}

interface Hyp {
  tokens: number[];
  logProb: number;
  score: number;
}

function beamBatch(model: Seq2Seq, rows: number[][], options: BeamOptions): Decoded[] {
  const K = options.beamSize;
  const alpha = options.lengthPenalty ?? 1;
  let N = rows.length; // sentences still decoding (rows n·K .. n·K+K−1 of the batch)
  let orig = Array.from({ length: N }, (_, n) => n); // their index in `rows`
  const maxLens = limits(rows, options);
  const T = Math.max(...maxLens);
  const { ids, lengths } = sourceBatch(rows);
  const enc0 = model.encode(ids, lengths, false);
  ids.dispose();
  const tile = tf.tensor1d(Array.from({ length: N * K }, (_, r) => Math.floor(r / K)), 'int32');
  let enc: Encoded = Seq2Seq.gatherEncoded(enc0, tile);
  tile.dispose();
  Seq2Seq.disposeEncoded(enc0);
  let state: DecoderState = model.initialState(enc);
  let prev = tf.fill([N * K], SOS_ID, 'int32') as tf.Tensor1D;
  // Live beams: tokens and cumulative log-probability per row; only beam 0 starts alive.
  let live: { tokens: number[]; logProb: number }[] = Array.from({ length: N * K }, (_, r) => ({ tokens: [], logProb: r % K === 0 ? 0 : -Infinity }));
  const finished: Hyp[][] = rows.map(() => []);
  const done = new Array(N).fill(false);
  const norm = (logProb: number, len: number): number => (alpha === 0 ? logProb : logProb / Math.pow(len, alpha));
  try {
    for (let t = 0; t < T && done.some((d) => !d); t++) {
      const out = model.step(enc, prev, state);
      const scores = tf.tensor1d(live.map((b) => (Number.isFinite(b.logProb) ? b.logProb : -1e30)));
      const [values, indices] = tf.tidy(() => {
        const lp = logSoftmaxRows(out.logits); // [NK, V]
        const V = lp.shape[1];
        const total = tf.reshape(tf.add(lp, tf.expandDims(scores, 1)), [N, K * V]);
        const top = tf.topk(total, Math.min(2 * K, K * V));
        return [top.values, top.indices];
      });
      const V = out.logits.shape[1];
      const vals = values.dataSync();
      const idx = indices.dataSync();
      const C = values.shape[1] as number;
      const parents: number[] = new Array(N * K);
      const toks: number[] = new Array(N * K);
      const next: { tokens: number[]; logProb: number }[] = new Array(N * K);
      for (let n = 0; n < N; n++) {
        let k = 0;
        const o = orig[n];
        if (!done[o]) {
          for (let c = 0; c < C && k < K; c++) {
            const score = vals[n * C + c];
            if (score < -1e29) break;
            const beam = Math.floor(idx[n * C + c] / V);
            const tok = idx[n * C + c] % V;
            const parent = live[n * K + beam];
            if (tok === EOS_ID) {
              if (c < K) finished[o].push({ tokens: parent.tokens, logProb: score, score: norm(score, parent.tokens.length + 1) });
              continue;
            }
            const row = n * K + k++;
            parents[row] = n * K + beam;
            toks[row] = tok;
            next[row] = { tokens: [...parent.tokens, tok], logProb: score };
          }
          const atLimit = t + 1 >= maxLens[o];
          // No live beam can still beat the best finished one: its log-probability only falls, and its length is at most the limit (+ <eos>).
          const bestDone = finished[o].reduce((m, h) => Math.max(m, h.score), -Infinity);
          const hopeless = bestDone > -Infinity && next.slice(n * K, n * K + k).every((h) => norm(h.logProb, maxLens[o] + 1) <= bestDone);
          if (finished[o].length >= K || atLimit || hopeless) {
            if (atLimit) for (let j = 0; j < k; j++) finished[o].push({ ...next[n * K + j], score: norm(next[n * K + j].logProb, next[n * K + j].tokens.length) });
            if (!finished[o].length) {
              // Nothing finished (no live beam left either): keep the best of this step's parents, as the loop's end would.
              const b = live.slice(n * K, n * K + K).filter((h) => Number.isFinite(h.logProb)).sort((x, y) => y.logProb - x.logProb)[0];
              finished[o].push({ tokens: b?.tokens ?? [], logProb: b?.logProb ?? -Infinity, score: -Infinity });
            }
            done[o] = true;
            k = 0;
          }
        }
        for (; k < K; k++) {
          const row = n * K + k;
          parents[row] = n * K;
          toks[row] = EOS_ID;
          next[row] = { tokens: [], logProb: -Infinity };
        }
      }
      live = next;
      const parentIndex = tf.tensor1d(parents, 'int32');
      const reordered = Seq2Seq.gatherState(out.state, parentIndex);
      tf.dispose([parentIndex, scores, values, indices, out.logits, out.weights, prev]);
      Seq2Seq.disposeState(out.state);
      Seq2Seq.disposeState(state);
      state = reordered;
      prev = tf.tensor1d(toks, 'int32');
      // Early finish: drop the rows of sentences that are done, so later steps only run the live ones.
      const keep = orig.map((o, n) => (done[o] ? -1 : n)).filter((n) => n >= 0);
      if (keep.length && keep.length < N) {
        const rowIdx = keep.flatMap((n) => Array.from({ length: K }, (_, k) => n * K + k));
        const index = tf.tensor1d(rowIdx, 'int32');
        const enc2 = Seq2Seq.gatherEncoded(enc, index);
        const state2 = Seq2Seq.gatherState(state, index);
        const prev2 = tf.gather(prev, index) as tf.Tensor1D;
        index.dispose();
        Seq2Seq.disposeEncoded(enc);
        Seq2Seq.disposeState(state);
        prev.dispose();
        [enc, state, prev] = [enc2, state2, prev2];
        if (model.fusedDecoder) model.scoreKeys(enc); // the cached keys of the new rows now (so a step's live tensors stay the same)
        live = rowIdx.map((r) => live[r]);
        orig = keep.map((n) => orig[n]);
        N = keep.length;
      }
      options.onStep?.(t);
    }
  } finally {
    Seq2Seq.disposeState(state);
    Seq2Seq.disposeEncoded(enc);
    prev.dispose();
  }
  return finished.map((hyps, o) => {
    if (!hyps.length) {
      // Only when the loop ended on the global bound before this sentence's own: keep its best live beam.
      const n = orig.indexOf(o);
      const b = (n >= 0 ? live.slice(n * K, n * K + K) : []).filter((h) => Number.isFinite(h.logProb)).sort((x, y) => y.logProb - x.logProb)[0];
      return { tokens: b?.tokens ?? [], logProb: b?.logProb ?? -Infinity };
    }
    const best = hyps.reduce((a, b) => (b.score > a.score ? b : a));
    return { tokens: best.tokens, logProb: best.logProb };
  });
}
