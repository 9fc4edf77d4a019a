/**
 * The task's human output: the error table, and Vega-Lite line charts of history,
 * actuals, forecasts and baselines (rendered to SVG for --plot by src/report/svg).
 *
 * Used by train.ts (the report) and predict.ts (--plot).
 */
import * as fs from 'fs';
import { UserError } from '../../src/errors';
import type { RegressionErrors } from '../../src/metrics/regression';
import type { DateStep } from './data';

export const fmt = (v: number | undefined, d = 2): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

export function errorTable(rows: { name: string; e: RegressionErrors | null }[]): string[] {
  const w = Math.max(...rows.map((r) => r.name.length), 8);
  const head = `${'forecast'.padEnd(w)}  ${'RMSE'.padStart(9)}  ${'MAE'.padStart(9)}  ${'MAPE %'.padStart(7)}  ${'sMAPE %'.padStart(7)}`;
  return [
    head,
    '-'.repeat(head.length),
    ...rows.map((r) =>
      `${r.name.padEnd(w)}  ${fmt(r.e?.rmse, 3).padStart(9)}  ${fmt(r.e?.mae, 3).padStart(9)}  ${fmt(r.e?.mape).padStart(7)}  ${fmt(r.e?.smape).padStart(7)}`,
    ),
  ];
}

/** An ISO time for plotting (Vega parses it as a date). */
export function isoTime(t: number, step: DateStep): string {
  if (step.unit === 'month') return new Date(Date.UTC(Math.floor(t / 12), t % 12, 1)).toISOString().slice(0, 10);
  return new Date(t).toISOString();
}

/** A Vega-Lite line chart of named series [{x, value, series}]. */
export function lineChart(values: { x: string | number; value: number; series: string }[], temporal: boolean, yTitle: string, order: string[]): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 640,
    height: 260,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: temporal ? 'temporal' : 'quantitative', title: temporal ? 'date' : 'step' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', sort: order, title: null, legend: { labelLimit: 240 } },
      strokeDash: { condition: { test: "datum.series !== 'actual' && datum.series !== 'history'", value: [4, 2] }, value: [1, 0] },
    },
  };
}

/** Writes a Vega-Lite spec as SVG (file.svg) or as the spec itself (file.json / .vl.json). */
export async function writePlot(file: string, spec: Record<string, unknown>): Promise<void> {
  if (/\.json$/i.test(file)) {
    fs.writeFileSync(file, JSON.stringify(spec, null, 1));
    return;
  }
  if (!/\.svg$/i.test(file)) throw new UserError(`--plot ${file}: the picture is written as .svg (or the Vega-Lite spec as .json)`, 2);
  const { vegaLiteToSvg } = await import('../../src/report/svg');
  fs.writeFileSync(file, await vegaLiteToSvg(spec));
}
