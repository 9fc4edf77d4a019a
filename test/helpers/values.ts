/** Deterministic uniform(−scale, scale) test values from a seed (an LCG: the same on every backend and run). */
export function seededValues(n: number, seed: number, scale = 0.6): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}
