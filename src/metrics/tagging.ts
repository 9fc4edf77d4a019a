/**
 * Sequence-labelling metrics (one tag per token): token accuracy, accuracy on
 * out-of-vocabulary tokens, whole-sentence accuracy, and the per-tag
 * precision/recall/F1 and confusion matrix of ./classification over all tokens.
 */
import { classificationReport, ClassificationReport } from './classification';

export interface TaggingReport {
  /** Correct tokens / tokens. */
  accuracy: number;
  /** Accuracy over the tokens flagged out-of-vocabulary (NaN when there are none). */
  oovAccuracy: number;
  /** Sentences with every tag right / sentences. */
  sentenceAccuracy: number;
  tokens: number;
  oovTokens: number;
  sentences: number;
  /** Per-tag precision/recall/F1 (support = gold count), macro-F1, confusion[gold][predicted]. */
  perTag: ClassificationReport;
}

/**
 * @param gold gold tag ids per sentence
 * @param predicted predicted tag ids per sentence (same shape)
 * @param oov per token, whether its word was unseen in training
 * @param labels tag names by id
 */
export function taggingReport(gold: number[][], predicted: number[][], oov: boolean[][], labels: string[]): TaggingReport {
  const flatGold: number[] = [];
  const flatPred: number[] = [];
  let oovTokens = 0;
  let oovCorrect = 0;
  let fullSentences = 0;
  gold.forEach((g, i) => {
    const p = predicted[i];
    if (p.length !== g.length) throw new Error(`sentence ${i}: ${p.length} predicted tags for ${g.length} tokens`);
    let all = true;
    g.forEach((t, j) => {
      flatGold.push(t);
      flatPred.push(p[j]);
      if (t !== p[j]) all = false;
      if (oov[i][j]) {
        oovTokens++;
        if (t === p[j]) oovCorrect++;
      }
    });
    if (all) fullSentences++;
  });
  const perTag = classificationReport(flatGold, flatPred, labels);
  return {
    accuracy: perTag.accuracy,
    oovAccuracy: oovTokens ? oovCorrect / oovTokens : NaN,
    sentenceAccuracy: gold.length ? fullSentences / gold.length : 0,
    tokens: flatGold.length,
    oovTokens,
    sentences: gold.length,
    perTag,
  };
}

/** The per-tag table as aligned text lines (tags by descending support). */
export function formatTagTable(report: TaggingReport): string[] {
  const rows = report.perTag.perClass.filter((r) => r.support > 0 || r.precision > 0).sort((a, b) => b.support - a.support);
  const w = Math.max(5, ...rows.map((r) => r.label.length));
  const pct = (x: number): string => (100 * x).toFixed(1).padStart(9);
  return [
    `${'tag'.padEnd(w)}  precision   recall       F1  support`,
    ...rows.map((r) => `${r.label.padEnd(w)}  ${pct(r.precision)}${pct(r.recall)}${pct(r.f1)}${String(r.support).padStart(9)}`),
  ];
}

/** A Vega-Lite heatmap of the confusion matrix (row-normalized colour, counts as text). */
export function confusionSpec(report: TaggingReport, title = 'gold tag (rows) vs predicted tag (columns)'): Record<string, unknown> {
  const labels = report.perTag.perClass.map((p) => p.label);
  const values: { gold: string; predicted: string; count: number; share: number }[] = [];
  report.perTag.confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      if (count > 0) values.push({ gold: labels[i], predicted: labels[j], count, share: total ? count / total : 0 });
    });
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: labels, title: 'predicted' },
      y: { field: 'gold', type: 'nominal', sort: labels, title: 'gold' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'share of gold' } } },
      { mark: { type: 'text', fontSize: 8 }, encoding: { text: { field: 'count', type: 'quantitative' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } } },
    ],
    width: { step: 26 },
    height: { step: 20 },
  };
}
