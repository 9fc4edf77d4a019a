/**
 * Caption decoding: greedy (with the attention weights of every word) and beam
 * search with length normalisation, batched over images. Each step's tensors
 * live in a tidy; only the decoder states are carried, so live tensors do not
 * grow with the caption length. Beam search keeps K beams per image (rows
 * n·K..n·K+K−1), takes the best 2K continuations per image, finishes a
 * hypothesis at <eos> (ranked by log-probability / length^α, <eos> counted), and
 * stops an image when it has K finished hypotheses or at the length limit.
 */
import * as tf from '@tensorflow/tfjs';
import { EOS_ID, SOS_ID } from './data';
import { Captioner, Encoded } from './model';

export interface Decoded {
  /** Word ids without <eos>. */
  tokens: number[];
  logProb: number;
  /** Greedy with attention: weights over the grid cells [step][G·G] (the <eos> step included). */
  attention?: number[][];
}

function encodeImages(model: Captioner, images: Float32Array, count: number): Encoded {
  const S = model.config.imageSize;
  const x = tf.tensor4d(images, [count, S, S, model.config.channels]);
  const enc = model.encode(x);
  x.dispose();
  return enc;
}

/** Splits images ([N·S·S·C] floats) into batches and decodes each. */
function batched(images: Float32Array, count: number, batch: number, run: (x: Float32Array, n: number) => Decoded[]): Decoded[] {
  const px = images.length / Math.max(1, count);
  const out: Decoded[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    out.push(...run(images.subarray(i * px, (i + n) * px), n));
  }
  return out;
}

/** Greedy decoding; `attention` also returns each step's weights. */
export function greedyDecode(model: Captioner, images: Float32Array, count: number, maxLen: number, attention = false): Decoded[] {
  return batched(images, count, 64, (x, B) => {
    const enc = encodeImages(model, x, B);
    let states = enc.states.map((s) => s.clone());
    let prev = tf.fill([B], SOS_ID, 'int32') as tf.Tensor1D;
    const res: Decoded[] = Array.from({ length: B }, () => ({ tokens: [], logProb: 0, attention: attention ? [] : undefined }));
    const done = new Array(B).fill(false);
    for (let t = 0; t < maxLen + 1 && done.some((d) => !d); t++) {
      const out = model.step(enc, prev, states);
      const [best, logp] = tf.tidy(() => {
        const lp = tf.logSoftmax(out.logits);
        const arg = tf.argMax(lp, 1);
        return [arg, tf.max(lp, 1)];
      });
      const tok = best.dataSync();
      const lp = logp.dataSync();
      const w = attention ? (out.weights.arraySync() as number[][]) : null;
      for (let i = 0; i < B; i++) {
        if (done[i]) continue;
        res[i].logProb += lp[i];
        if (w) res[i].attention!.push(w[i]);
        if (tok[i] === EOS_ID || t === maxLen) done[i] = true;
        else res[i].tokens.push(tok[i]);
      }
      tf.dispose([...states, prev, out.logits, out.weights, logp]);
      states = out.states;
      prev = tf.cast(best, 'int32') as tf.Tensor1D;
      best.dispose();
    }
    tf.dispose([...states, prev]);
    Captioner.disposeEncoded(enc);
    return res;
  });
}

/** Beam search (see the file comment); K = 1 is greedy. */
export function beamSearch(model: Captioner, images: Float32Array, count: number, maxLen: number, K: number, alpha: number): Decoded[] {
  if (K <= 1) return greedyDecode(model, images, count, maxLen);
  return batched(images, count, 32, (x, N) => {
    const enc0 = encodeImages(model, x, N);
    const tile = tf.tensor1d(Array.from({ length: N * K }, (_, r) => Math.floor(r / K)), 'int32');
    const enc = Captioner.gather(enc0, tile);
    tile.dispose();
    Captioner.disposeEncoded(enc0);
    let states = enc.states.map((s) => s.clone());
    let prev = tf.fill([N * K], SOS_ID, 'int32') as tf.Tensor1D;
    let live = Array.from({ length: N * K }, (_, r) => ({ tokens: [] as number[], logProb: r % K === 0 ? 0 : -Infinity }));
    const finished: { tokens: number[]; logProb: number; score: number }[][] = Array.from({ length: N }, () => []);
    const done = new Array(N).fill(false);
    const norm = (lp: number, len: number): number => (alpha === 0 ? lp : lp / Math.pow(len, alpha));
    for (let t = 0; t <= maxLen && done.some((d) => !d); t++) {
      const out = model.step(enc, prev, states);
      const V = out.logits.shape[1];
      const [values, indices] = tf.tidy(() => {
        const scores = tf.tensor1d(live.map((b) => (Number.isFinite(b.logProb) ? b.logProb : -1e30)));
        const total = tf.reshape(tf.add(tf.logSoftmax(out.logits), tf.expandDims(scores, 1)), [N, K * V]);
        const top = tf.topk(total, Math.min(2 * K, K * V));
        return [top.values, top.indices];
      });
      const vals = values.dataSync();
      const idx = indices.dataSync();
      const C = values.shape[1] as number;
      const parents: number[] = new Array(N * K).fill(0);
      const toks: number[] = new Array(N * K).fill(EOS_ID);
      const next = Array.from({ length: N * K }, () => ({ tokens: [] as number[], logProb: -Infinity }));
      for (let n = 0; n < N; n++) {
        if (done[n]) continue;
        let k = 0;
        for (let c = 0; c < C && k < K; c++) {
          const score = vals[n * C + c];
          if (score < -1e29) break;
          const beam = Math.floor(idx[n * C + c] / V);
          const tok = idx[n * C + c] % V;
          const parent = live[n * K + beam];
          if (tok === EOS_ID || t === maxLen) {
            if (c < K) finished[n].push({ tokens: tok === EOS_ID ? parent.tokens : [...parent.tokens, tok], logProb: score, score: norm(score, parent.tokens.length + 1) });
            continue;
          }
          const row = n * K + k++;
          parents[row] = n * K + beam;
          toks[row] = tok;
          next[row] = { tokens: [...parent.tokens, tok], logProb: score };
        }
        if (finished[n].length >= K || t === maxLen || k === 0) done[n] = true;
      }
      live = next;
      const parentIndex = tf.tensor1d(parents, 'int32');
      const reordered = out.states.map((s) => tf.gather(s, parentIndex) as tf.Tensor2D);
      tf.dispose([parentIndex, values, indices, out.logits, out.weights, prev, ...states, ...out.states]);
      states = reordered;
      prev = tf.tensor1d(toks, 'int32');
    }
    tf.dispose([...states, prev]);
    Captioner.disposeEncoded(enc);
    return finished.map((hyps, n) => {
      if (!hyps.length) {
        const b = live.slice(n * K, n * K + K).sort((x2, y) => y.logProb - x2.logProb)[0];
        return { tokens: b.tokens, logProb: b.logProb };
      }
      const best = hyps.reduce((a, b) => (b.score > a.score ? b : a));
      return { tokens: best.tokens, logProb: best.logProb };
    });
  });
}
