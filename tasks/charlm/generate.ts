/**
 * Generation: feed the prime symbol by symbol through the cells' single-step
 * API, then sample one symbol at a time from the next-symbol distribution,
 * keeping only the recurrent states between steps (each step runs in a tf.tidy,
 * so memory stays flat however long it generates).
 *
 * Sampling (`pickSymbol`): temperature (≤ 1e-6 = argmax), then top-k (keep the
 * k most likely), then top-p / nucleus (keep the smallest set of most likely
 * symbols whose probability reaches p), renormalize, draw with a seeded generator.
 *
 * Next: predict.ts (CharLm uses this to generate).
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../layers/random';
import type { LmNet } from './model';

export interface SamplingOptions {
  /** Softmax temperature; → 0 is greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely symbols (0 = all). Default 0. */
  topK?: number;
  /** Keep the smallest set of most likely symbols with total probability ≥ p (1 = all). Default 1. */
  topP?: number;
}

/** Temperatures at or below this are greedy decoding. */
export const GREEDY_TEMPERATURE = 1e-6;

/**
 * Picks the next symbol from logits [V]. `banned` ids are never chosen (padding, <unk>).
 * `u` is a uniform draw in [0, 1) (unused when greedy).
 */
export function pickSymbol(logits: ArrayLike<number>, o: SamplingOptions, u: number, banned: ReadonlySet<number> = new Set()): number {
  const temperature = o.temperature ?? 1;
  const topK = o.topK ?? 0;
  const topP = o.topP ?? 1;
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if (!banned.has(i) && !Number.isNaN(logits[i])) ids.push(i);
  if (!ids.length) throw new Error('no symbol can be sampled (every logit is banned or NaN)');
  ids.sort((a, b) => logits[b] - logits[a] || a - b);
  if (temperature <= GREEDY_TEMPERATURE) return ids[0];
  const kept = topK > 0 ? ids.slice(0, topK) : ids;
  const top = logits[kept[0]] / temperature;
  let probs = kept.map((i) => Math.exp(logits[i] / temperature - top));
  let total = probs.reduce((a, b) => a + b, 0);
  let n = kept.length;
  if (topP < 1) {
    let cum = 0;
    n = 0;
    while (n < kept.length && cum < topP * total) cum += probs[n++];
    probs = probs.slice(0, n);
    total = cum;
  }
  let acc = 0;
  const target = u * total;
  for (let j = 0; j < n; j++) {
    acc += probs[j];
    if (target < acc) return kept[j];
  }
  return kept[n - 1];
}

export interface GenerateOptions extends SamplingOptions {
  /** Symbol ids fed before sampling (at least one; the last one's prediction is the first sample). */
  prime: number[];
  /** Symbols to generate. */
  length: number;
  /** Seed of the sampling draws. */
  seed: number;
  /** Ids never generated. */
  banned?: ReadonlySet<number>;
  /** Receives each generated id as soon as it is chosen (streaming); return false to stop early. */
  onSymbol?: (id: number) => boolean | void;
}

/** Generates `length` ids after `prime` with one recurrent state kept between steps. */
/** What generation needs of a model: LmNet's single-step API (or onnx.ts's OnnxStepper). */
export type LmStepper = Pick<LmNet, 'zeroStates' | 'step'>;

export function generateIds(net: LmStepper, o: GenerateOptions): number[] {
  if (!o.prime.length) throw new Error('generation needs at least one prime symbol');
  const rng = new SeededRandom(o.seed);
  let states: tf.Tensor2D[] = net.zeroStates(1);
  let logits: Float32Array | null = null;
  const feed = (id: number, wantLogits: boolean): void => {
    const r = tf.tidy(() => net.step(tf.tensor1d([id], 'int32'), states));
    tf.dispose(states);
    states = r.states;
    if (wantLogits) logits = r.logits.dataSync() as Float32Array;
    r.logits.dispose();
  };
  try {
    o.prime.forEach((id, i) => feed(id, i === o.prime.length - 1));
    const out: number[] = [];
    for (let t = 0; t < o.length; t++) {
      const id = pickSymbol(logits!, o, rng.uniform(), o.banned);
      out.push(id);
      if (o.onSymbol?.(id) === false) break;
      if (t < o.length - 1) feed(id, true);
    }
    return out;
  } finally {
    tf.dispose(states);
  }
}
