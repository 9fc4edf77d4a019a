/**
 * Deterministic randomness for training: every random choice of a run is a
 * function of (seed, epoch, step), never of how many numbers were drawn before,
 * so a run stopped and resumed sees exactly what an uninterrupted run sees.
 */
import { SeededRandom } from '../../layers/random';

/** A 31-bit integer mixed from the run seed and counters (murmur-style finalizer per part). */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return (h >>> 0) % 2147483647;
}

/** The dropout seed of one training step. */
export function stepSeed(seed: number, epoch: number, step: number): number {
  return mixSeed(seed, epoch, step, 0x5eed);
}

/** A permutation of 0..n-1 for one epoch (Fisher–Yates over a stream seeded by (seed, epoch)). */
export function seededPermutation(n: number, seed: number, epoch: number): number[] {
  const rng = new SeededRandom(mixSeed(seed, epoch, 0xba7c4));
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}
