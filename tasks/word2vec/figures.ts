/**
 * The word2vec report's pictures: a 2-D PCA projection of the most frequent
 * words (top two principal components by power iteration, labels on the
 * points) and the per-epoch similarity / analogy curves.
 */
import type { TaskFigure } from '../../src/task';
import type { WordVectors } from '../../src/embeddings/word_vectors';
import type { EpochEval } from './train';

/** The top-2 principal-component coordinates of the rows `ids` (centred). */
export function pca2(wv: WordVectors, ids: number[], seed = 1): [number, number][] {
  const D = wv.dim;
  const n = ids.length;
  const X = new Float64Array(n * D);
  const mean = new Float64Array(D);
  ids.forEach((id, r) => {
    for (let d = 0; d < D; d++) {
      X[r * D + d] = wv.data[id * D + d];
      mean[d] += wv.data[id * D + d] / n;
    }
  });
  for (let r = 0; r < n; r++) for (let d = 0; d < D; d++) X[r * D + d] -= mean[d];
  const comps: Float64Array[] = [];
  let s = seed;
  for (let c = 0; c < 2; c++) {
    let v = new Float64Array(D).map(() => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647 - 0.5;
    });
    for (let it = 0; it < 100; it++) {
      const xv = new Float64Array(n);
      for (let r = 0; r < n; r++) for (let d = 0; d < D; d++) xv[r] += X[r * D + d] * v[d];
      const next = new Float64Array(D);
      for (let r = 0; r < n; r++) for (let d = 0; d < D; d++) next[d] += X[r * D + d] * xv[r];
      for (const p of comps) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += next[d] * p[d];
        for (let d = 0; d < D; d++) next[d] -= dot * p[d];
      }
      const norm = Math.hypot(...next) || 1;
      v = next.map((x) => x / norm);
    }
    comps.push(v);
  }
  return ids.map((_, r) => {
    let a = 0;
    let b = 0;
    for (let d = 0; d < D; d++) {
      a += X[r * D + d] * comps[0][d];
      b += X[r * D + d] * comps[1][d];
    }
    return [a, b];
  });
}

export function word2vecFigures(wv: WordVectors, epochs: EpochEval[], words = 150): TaskFigure[] {
  const ids: number[] = [];
  for (let i = 0; i < wv.size && ids.length < words; i++) if (/\p{L}{2,}/u.test(wv.words[i])) ids.push(i);
  const xy = pca2(wv, ids);
  const figures: TaskFigure[] = [
    {
      title: `The ${ids.length} most frequent words, projected on two principal components`,
      caption: 'PCA of the trained vectors (first two components); related words should sit together (pronouns, numbers, auxiliaries, days...).',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        data: { values: ids.map((id, r) => ({ word: wv.words[id], rank: id + 1, pc1: xy[r][0], pc2: xy[r][1] })) },
        width: 640,
        height: 480,
        layer: [
          { mark: { type: 'circle', size: 20, opacity: 0.5 }, encoding: { x: { field: 'pc1', type: 'quantitative' }, y: { field: 'pc2', type: 'quantitative' }, tooltip: [{ field: 'word' }, { field: 'rank' }] } },
          { mark: { type: 'text', fontSize: 9, dx: 3, align: 'left' }, encoding: { x: { field: 'pc1', type: 'quantitative' }, y: { field: 'pc2', type: 'quantitative' }, text: { field: 'word' } } },
        ],
      },
    },
  ];
  const curve = epochs.flatMap((e) => [
    ...(e.similarity ? [{ epoch: e.epoch + 1, measure: 'similarity (Spearman ρ)', value: e.similarity.spearman }] : []),
    ...(e.analogies ? [{ epoch: e.epoch + 1, measure: 'analogy accuracy', value: e.analogies.accuracy }] : []),
  ]);
  if (curve.length) {
    figures.push({
      title: 'Similarity and analogy scores after every epoch',
      caption: 'Spearman ρ on the similarity pairs and 3CosAdd accuracy on the covered analogy questions.',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        data: { values: curve },
        width: 480,
        height: 240,
        mark: { type: 'line', point: true },
        encoding: { x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } }, y: { field: 'value', type: 'quantitative' }, color: { field: 'measure', type: 'nominal' } },
      },
    });
  }
  return figures;
}
