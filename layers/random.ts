/**
 * A small seedable pseudo-random generator (mulberry32) so initializers, dropout
 * seeds and data shuffling are reproducible across backends and processes.
 */

/** Seeded uniform/normal generator. */
export class SeededRandom {
  private state: number;

  /** @param seed any integer; the same seed gives the same stream everywhere. */
  constructor(seed: number) {
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** A generator whose state starts at `state` as given (plain mulberry32 seeded with it, without the constructor's mixing). */
  static fromState(state: number): SeededRandom {
    const r = new SeededRandom(0);
    r.state = state >>> 0;
    return r;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

let counter = 0;
/** A fresh seed when the user gave none: from the clock, so it differs from run to run and call to call (give a seed to reproduce a run). */
export function nextSeed(): number {
  counter += 1;
  return (Date.now() + counter * 7919) % 2147483647;
}

/**
 * The stream of dropout seeds every layer of this package draws from while
 * training. `seedDropout(s)` resets it, so a training step's masks are a
 * function of the seed (the training engine reseeds it before every step, which
 * makes resumed runs identical to uninterrupted ones).
 */
let dropoutRng = new SeededRandom(nextSeed());
export function seedDropout(seed: number): void {
  dropoutRng = new SeededRandom(seed);
}
export function nextDropoutSeed(): number {
  return dropoutRng.int(2147483647);
}
