/**
 * Ready-made report figures (Vega-Lite v5 specs with inline data) that tasks put in
 * `TaskResult.figures`; the HTML report renders them with the common curves.
 *
 *   figures: [confusionMatrixFigure(['neg', 'pos'], [[40, 10], [5, 45]])]
 */
import type { TaskFigure } from '../task';

/**
 * A confusion matrix as a heatmap: rows are the true labels, columns the predicted
 * ones, each cell shows its count and is coloured by the share of its row (the
 * recall of that true label), so rare classes read as well as frequent ones.
 * `matrix[i][j]` = how many examples of true label i were predicted as j.
 */
export function confusionMatrixFigure(labels: readonly string[], matrix: readonly (readonly number[])[], title = 'Confusion matrix (dev)'): TaskFigure {
  if (matrix.length !== labels.length || matrix.some((row) => row.length !== labels.length)) {
    throw new Error(`confusionMatrixFigure: the matrix must be ${labels.length}x${labels.length} (one row and column per label)`);
  }
  const values: { truth: string; predicted: string; count: number; share: number }[] = [];
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => values.push({ truth: labels[i], predicted: labels[j], count, share: total > 0 ? count / total : 0 }));
  });
  const cell = Math.max(14, Math.min(48, Math.floor(480 / Math.max(1, labels.length))));
  const order = [...labels];
  return {
    title,
    caption: 'Rows: true label; columns: predicted label. Colour: share of the row (recall); the diagonal is what the model gets right.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: { values },
      width: cell * labels.length,
      height: cell * labels.length,
      encoding: {
        x: { field: 'predicted', type: 'nominal', sort: order, title: 'predicted', axis: { labelAngle: -45 } },
        y: { field: 'truth', type: 'nominal', sort: order, title: 'true' },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: { field: 'share', type: 'quantitative', title: 'row share', scale: { domain: [0, 1], scheme: 'blues' } },
            tooltip: [{ field: 'truth' }, { field: 'predicted' }, { field: 'count' }, { field: 'share', format: '.1%' }],
          },
        },
        ...(labels.length <= 20
          ? [
              {
                mark: { type: 'text', fontSize: Math.max(8, Math.min(12, cell / 3)) },
                encoding: {
                  text: { field: 'count', type: 'quantitative' },
                  color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
                },
              },
            ]
          : []),
      ],
    },
  };
}
