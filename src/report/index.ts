/**
 * Reports and pictures, for the public API. Vega and Vega-Lite take ~0.6 s to
 * load, so the renderers are loaded on first use, not when 'rnnkit' is imported.
 */
import type { ReportInput } from './html';

export type { ReportInput, ReportStep } from './html';
export { confusionMatrixFigure } from './figures';

/** Writes the self-contained HTML training report (see src/report/html.ts). */
export async function writeHtmlReport(file: string, input: ReportInput): Promise<void> {
  return (await import('./html')).writeHtmlReport(file, input);
}

/** Renders a Vega-Lite v5 spec with inline data to SVG text (see src/report/svg.ts). */
export async function vegaLiteToSvg(spec: Record<string, unknown>): Promise<string> {
  return (await import('./svg')).vegaLiteToSvg(spec);
}
