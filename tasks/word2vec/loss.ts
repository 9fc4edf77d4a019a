/**
 * The objective word2vec minimizes, stated once (the hot loops in sgns.ts and
 * wasm_kernel.ts compute its gradient by hand, through a sigmoid table): for an
 * input vector u (a context word's, or the window mean in CBOW), the positive
 * word's output vector v₀ and k sampled negatives v₁…v_k,
 *
 *   L = −log σ(u·v₀) − Σᵢ log σ(−u·vᵢ)
 *   ∂L/∂(u·v) = σ(u·v) − label           (label 1 for v₀, 0 for negatives)
 *
 * and SGD with rate α moves v ← v + g·u, u ← u + Σ g·v with g = (label − σ)·α.
 * This file is the reference the kernels are tested against.
 */

/** Negative-sampling loss of one input vector against its targets (labels: 1 positive, 0 negative). */
export function negativeSamplingLoss(u: ArrayLike<number>, targets: ArrayLike<number>[], labels: number[]): number {
  let loss = 0;
  targets.forEach((v, i) => {
    let f = 0;
    for (let d = 0; d < u.length; d++) f += u[d] * v[d];
    const s = 1 / (1 + Math.exp(-f));
    loss -= Math.log(labels[i] === 1 ? s : 1 - s);
  });
  return loss;
}

/** The per-target gradient factor g = (label − σ(u·v))·α that the kernels apply. */
export function updateFactor(dot: number, label: number, alpha: number): number {
  return (label - 1 / (1 + Math.exp(-dot))) * alpha;
}
