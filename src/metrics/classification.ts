/** Classification metrics: accuracy, per-class precision/recall/F1, macro-F1, confusion matrix. */

export interface ClassificationReport {
  accuracy: number;
  macroF1: number;
  /** confusion[trueClass][predictedClass] counts. */
  confusion: number[][];
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
}

export function classificationReport(truth: number[], predicted: number[], labels: string[]): ClassificationReport {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  truth.forEach((t, i) => confusion[t][predicted[i]]++);
  const correct = truth.filter((t, i) => t === predicted[i]).length;
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const predictedC = confusion.reduce((a, row) => a + row[c], 0);
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const precision = predictedC ? tp / predictedC : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((p) => p.support > 0);
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    macroF1: present.length ? present.reduce((a, p) => a + p.f1, 0) / present.length : 0,
    confusion,
    perClass,
  };
}

/** A confusion matrix as aligned text rows (true classes down, predictions across). */
export function formatConfusion(report: ClassificationReport): string {
  const labels = report.perClass.map((p) => p.label);
  const w = Math.max(6, ...labels.map((l) => l.length)) + 1;
  const head = 'true \\ pred'.padEnd(w + 5) + labels.map((l) => l.padStart(w)).join('');
  const rows = report.confusion.map((row, i) => labels[i].padEnd(w + 5) + row.map((n) => String(n).padStart(w)).join(''));
  return [head, ...rows].join('\n');
}
