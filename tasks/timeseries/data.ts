/**
 * Reading a time series from CSV: a header row (or none: a first row of numbers
 * and dates is data, and columns are named 1, 2, ...), a target column, optional feature
 * columns and an optional date column. Dates are parsed (ISO forms: YYYY-MM,
 * YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], or anything Date.parse reads when the column
 * is named), must be strictly increasing, and their step is inferred (calendar
 * months, or a fixed duration); gaps in the dates are noted, or filled with
 * inserted rows under a fill policy. A missing value is an error naming the file
 * and line unless a fill policy is given; a non-numeric value always is.
 *
 * Next: windows.ts (the chronological split and the windows).
 */
import * as fs from 'fs';
import Papa from 'papaparse';
import { UserError } from '../../src/errors';
import { readText } from '../../src/data/text_file';
import type { FillPolicy } from './config';

/** The step between consecutive dates: calendar months, or milliseconds. */
export interface DateStep {
  unit: 'month' | 'ms';
  size: number;
}

/** How the dates were written, to write future ones the same way. */
export type DateFormat = 'year-month' | 'date' | 'datetime' | 'year';

/** A series read from a file. Channel 0 is the target, then the features in order. */
export interface SeriesTable {
  file: string;
  target: string;
  features: string[];
  dateColumn: string | null;
  /** The dates as written (inserted rows: formatted like the others); null without a date column. */
  dates: string[] | null;
  /** Sortable time keys (month index for monthly steps, else ms since 1970 UTC); null without dates. */
  times: number[] | null;
  step: DateStep | null;
  dateFormat: DateFormat | null;
  /** values[channel][row]. */
  values: number[][];
  /** The 1-based file line of each row (0 for a row inserted for a missing date). */
  lines: number[];
  notes: string[];
}

export interface ReadOptions {
  target?: string | number;
  features?: (string | number)[];
  dateColumn?: string | number;
  fill?: FillPolicy;
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?', '-']);
const DATE_RE = /^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE_NAME = /date|time|month|year|day|period|timestamp|week/i;

interface ParsedDate {
  ms: number;
  month: number;
  format: DateFormat;
  /** Day 1 at midnight (a month start). */
  monthStart: boolean;
}

function parseDate(s: string, named: boolean): ParsedDate | null {
  const t = s.trim();
  const m = DATE_RE.exec(t);
  if (m) {
    const y = Number(m[1]);
    if (m[2] === undefined && !named) return null; // a bare 4-digit number is only a year in a date-named column
    const mo = m[2] ? Number(m[2]) : 1;
    const d = m[3] ? Number(m[3]) : 1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
    const hasTime = m[4] !== undefined;
    let ms = Date.UTC(y, mo - 1, d, hasTime ? Number(m[4]) : 0, hasTime ? Number(m[5]) : 0, m[6] ? Number(m[6]) : 0, m[7] ? Math.round(Number(m[7]) * 1000) : 0);
    if (m[8] && m[8] !== 'Z') {
      const sign = m[8][0] === '-' ? -1 : 1;
      const [hh, mm] = [Number(m[8].slice(1, 3)), Number(m[8].slice(-2))];
      ms -= sign * (hh * 60 + mm) * 60000;
    }
    if (new Date(ms).getUTCDate() !== d && !hasTime) return null; // 2021-02-30
    const format: DateFormat = hasTime ? 'datetime' : m[3] ? 'date' : m[2] ? 'year-month' : 'year';
    return { ms, month: y * 12 + mo - 1, format, monthStart: !hasTime && d === 1 };
  }
  if (!named || /^-?\d+(\.\d+)?$/.test(t)) return null;
  const ms = Date.parse(t);
  if (!Number.isFinite(ms)) return null;
  const dt = new Date(ms);
  return { ms, month: dt.getUTCFullYear() * 12 + dt.getUTCMonth(), format: 'datetime', monthStart: false };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Formats the time key `t` (see SeriesTable.times) like the input's dates. */
export function formatTime(t: number, step: DateStep, format: DateFormat): string {
  if (step.unit === 'month') {
    const y = Math.floor(t / 12);
    const mo = (t % 12) + 1;
    if (format === 'year') return String(y);
    return format === 'year-month' ? `${y}-${pad(mo)}` : `${y}-${pad(mo)}-01`;
  }
  const d = new Date(t);
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (format !== 'datetime') return day;
  return `${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** The time key `k` steps after `t`. */
export function addSteps(t: number, step: DateStep, k: number): number {
  return t + k * step.size;
}

function parseNumber(cell: string): number | null {
  const t = cell.trim();
  if (MISSING.has(t.toLowerCase())) return null;
  const v = Number(t);
  return t !== '' && Number.isFinite(v) ? v : NaN;
}

/** Resolves a column given by name or 1-based number against the header. */
function resolveColumn(header: string[], col: string | number, file: string, what: string): number {
  if (typeof col === 'number' || /^\d+$/.test(col)) {
    const n = Number(col);
    if (n < 1 || n > header.length) throw new UserError(`${file}: ${what} column ${n} is out of range (the file has ${header.length} columns: ${header.join(', ')})`);
    return n - 1;
  }
  const i = header.indexOf(col);
  if (i < 0) {
    const ci = header.findIndex((h) => h.toLowerCase() === col.toLowerCase());
    if (ci >= 0) return ci;
    throw new UserError(`${file}: no ${what} column '${col}' (columns: ${header.join(', ')})`);
  }
  return i;
}

/** Reads a series CSV file (see parseSeries). */
export function readSeries(file: string, options: ReadOptions = {}): SeriesTable {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new UserError(`${file}: is a directory, expected a CSV file`);
  return parseSeries(readText(file), file, options);
}

/** Parses CSV text (first row = header) into a series; `file` names the source in messages. */
export function parseSeries(text: string, file: string, options: ReadOptions = {}): SeriesTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: false });
  // Rows with their 1-based line numbers (numeric CSVs have no quoted newlines, so row i is line i + 1).
  const rows = parsed.data.map((cells, i) => ({ cells, line: i + 1 })).filter((r) => !(r.cells.length === 1 && r.cells[0].trim() === ''));
  if (!rows.length) throw new UserError(`${file}: the file is empty`);
  // A first row of numbers and dates is data: the columns are then named by number (1, 2, ...).
  const headerless = rows[0].cells.every((c) => parseDate(c, false) !== null || !Number.isNaN(parseNumber(c) ?? NaN));
  const header = headerless ? rows[0].cells.map((_, j) => String(j + 1)) : rows[0].cells.map((h) => h.trim());
  const body = headerless ? rows : rows.slice(1);
  if (!body.length) throw new UserError(`${file}: no data rows after the header line`);
  for (const r of body) {
    if (r.cells.length !== header.length) throw new UserError(`${file}:${r.line}: ${r.cells.length} fields, but the header has ${header.length}`);
  }
  const fill = options.fill ?? 'none';
  const notes: string[] = [];

  // Date column: given, 'none', or the first column whose values parse as dates.
  let dateIdx = -1;
  if (options.dateColumn !== undefined && options.dateColumn !== 'none') dateIdx = resolveColumn(header, options.dateColumn, file, 'date');
  else if (options.dateColumn === undefined) {
    dateIdx = header.findIndex((h, j) => body.slice(0, 20).every((r) => parseDate(r.cells[j], DATE_NAME.test(h)) !== null));
  }
  // Target: given, or the only numeric column besides the date.
  // (A column is numeric when most of its first values are numbers, so one bad cell is reported by its line below.)
  const numericCols = header.map((_, j) => j).filter((j) => {
    const seen = body.slice(0, 50).map((r) => parseNumber(r.cells[j])).filter((v) => v !== null);
    return j !== dateIdx && seen.length > 0 && seen.filter((v) => !Number.isNaN(v)).length > seen.length / 2;
  });
  const featureIdx = (options.features ?? []).map((f) => resolveColumn(header, f, file, 'feature'));
  let targetIdx: number;
  if (options.target !== undefined) targetIdx = resolveColumn(header, options.target, file, 'target');
  else {
    const candidates = numericCols.filter((j) => !featureIdx.includes(j));
    if (candidates.length !== 1) {
      throw new UserError(`${file}: ${candidates.length ? `${candidates.length} numeric columns (${candidates.map((j) => header[j]).join(', ')})` : 'no numeric column'}; name the one to forecast with --target`);
    }
    targetIdx = candidates[0];
  }
  if (targetIdx === dateIdx) throw new UserError(`${file}: the target column '${header[targetIdx]}' is also the date column`);
  for (const j of featureIdx) {
    if (j === targetIdx || j === dateIdx) throw new UserError(`${file}: feature column '${header[j]}' is the ${j === targetIdx ? 'target' : 'date'} column`);
  }
  const channels = [targetIdx, ...featureIdx];

  // Values: a non-number is always an error; a missing value is one unless filling.
  const values: (number | null)[][] = channels.map(() => []);
  for (const r of body) {
    channels.forEach((j, c) => {
      const v = parseNumber(r.cells[j]);
      if (v !== null && Number.isNaN(v)) throw new UserError(`${file}:${r.line}: column '${header[j]}': '${r.cells[j].trim()}' is not a number`);
      if (v === null && fill === 'none') throw new UserError(`${file}:${r.line}: column '${header[j]}' has no value (fill missing values with --fill previous or --fill linear)`);
      values[c].push(v);
    });
  }
  let lines = body.map((r) => r.line);

  // Dates: parsed, strictly increasing, step inferred, gaps noted or filled.
  let dates: string[] | null = null;
  let times: number[] | null = null;
  let step: DateStep | null = null;
  let dateFormat: DateFormat | null = null;
  if (dateIdx >= 0) {
    const named = true;
    const parsedDates = body.map((r) => {
      const d = parseDate(r.cells[dateIdx], named);
      if (!d) throw new UserError(`${file}:${r.line}: column '${header[dateIdx]}': '${r.cells[dateIdx].trim()}' is not a date (expected e.g. 2024-01, 2024-01-31 or 2024-01-31 12:00)`);
      return d;
    });
    const monthly = parsedDates.every((d) => d.monthStart) && parsedDates.length > 1 && isMonthly(parsedDates.map((d) => d.month));
    times = parsedDates.map((d) => (monthly ? d.month : d.ms));
    for (let i = 1; i < times.length; i++) {
      if (!(times[i] > times[i - 1])) {
        throw new UserError(`${file}:${body[i].line}: dates must increase: '${body[i].cells[dateIdx].trim()}' ${times[i] === times[i - 1] ? 'repeats' : 'comes before'} '${body[i - 1].cells[dateIdx].trim()}' (line ${body[i - 1].line})`);
      }
    }
    dateFormat = monthly ? (parsedDates[0].format === 'date' ? 'date' : parsedDates[0].format) : parsedDates.some((d) => d.format === 'datetime') ? 'datetime' : 'date';
    dates = body.map((r) => r.cells[dateIdx].trim());
    if (times.length > 1) {
      step = { unit: monthly ? 'month' : 'ms', size: mostCommonDiff(times) };
      const gaps: number[] = [];
      let irregular = 0;
      for (let i = 1; i < times.length; i++) {
        const k = (times[i] - times[i - 1]) / step.size;
        if (k !== 1) {
          if (Number.isInteger(k)) gaps.push(i);
          else irregular++;
        }
      }
      if (irregular) notes.push(`dates: ${irregular} steps are not a multiple of the usual step; rows are used as consecutive steps`);
      if (gaps.length) {
        const first = gaps[0];
        const where = `first after line ${lines[first - 1]} (${dates[first - 1]} → ${dates[first]})`;
        if (fill === 'none' || irregular) {
          const missing = gaps.reduce((a, i) => a + ((times as number[])[i] - (times as number[])[i - 1]) / (step as DateStep).size - 1, 0);
          notes.push(`dates: ${gaps.length} gap${gaps.length > 1 ? 's' : ''} (${missing} missing step${missing > 1 ? 's' : ''}, ${where}); rows are used as consecutive steps (--fill previous|linear inserts the missing ones)`);
        } else {
          const filled = insertMissingSteps(times, dates, values, lines, step, dateFormat);
          notes.push(`dates: ${gaps.length} gap${gaps.length > 1 ? 's' : ''} (${where}): inserted ${filled.inserted} row${filled.inserted > 1 ? 's' : ''} filled by --fill ${fill}`);
          ({ times, dates, lines } = filled);
          values.splice(0, values.length, ...filled.values);
        }
      }
    }
  }

  const filledValues = values.map((col, c) => fillMissing(col, fill, file, header[channels[c]], notes));
  return {
    file,
    target: header[targetIdx],
    features: featureIdx.map((j) => header[j]),
    dateColumn: dateIdx >= 0 ? header[dateIdx] : null,
    dates,
    times,
    step,
    dateFormat,
    values: filledValues,
    lines,
    notes,
  };
}

/** Month indices whose most common step is a whole number of months (1, 3, 12...). */
function isMonthly(months: number[]): boolean {
  return mostCommonDiff(months) >= 1;
}

function mostCommonDiff(times: number[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < times.length; i++) counts.set(times[i] - times[i - 1], (counts.get(times[i] - times[i - 1]) ?? 0) + 1);
  let best = 0;
  let bestCount = -1;
  for (const [d, c] of counts) if (c > bestCount || (c === bestCount && d < best)) [best, bestCount] = [d, c];
  return best;
}

/** Inserts rows (with missing values) for the missing steps of a regular date sequence. */
function insertMissingSteps(times: number[], dates: string[], values: (number | null)[][], lines: number[], step: DateStep, format: DateFormat) {
  const out = { times: [] as number[], dates: [] as string[], values: values.map(() => [] as (number | null)[]), lines: [] as number[], inserted: 0 };
  for (let i = 0; i < times.length; i++) {
    if (i > 0) {
      for (let t = addSteps(times[i - 1], step, 1); t < times[i]; t = addSteps(t, step, 1)) {
        out.times.push(t);
        out.dates.push(formatTime(t, step, format));
        out.values.forEach((col) => col.push(null));
        out.lines.push(0);
        out.inserted++;
      }
    }
    out.times.push(times[i]);
    out.dates.push(dates[i]);
    out.values.forEach((col, c) => col.push(values[c][i]));
    out.lines.push(lines[i]);
  }
  return out;
}

/** Fills nulls by the policy (leading/trailing runs take the nearest value). */
function fillMissing(col: (number | null)[], fill: FillPolicy, file: string, name: string, notes: string[]): number[] {
  const known = col.map((v, i) => (v === null ? -1 : i)).filter((i) => i >= 0);
  const missing = col.length - known.length;
  if (!missing) return col as number[];
  if (!known.length) throw new UserError(`${file}: column '${name}' has no values`);
  const out = new Array<number>(col.length);
  let k = 0; // index into known of the next known row at or after i
  for (let i = 0; i < col.length; i++) {
    while (k < known.length && known[k] < i) k++;
    const v = col[i];
    if (v !== null) {
      out[i] = v;
      continue;
    }
    const prev = k > 0 ? known[k - 1] : -1;
    const next = k < known.length ? known[k] : -1;
    if (prev < 0) out[i] = col[next] as number;
    else if (next < 0 || fill === 'previous') out[i] = out[prev];
    else out[i] = (col[prev] as number) + (((col[next] as number) - (col[prev] as number)) * (i - prev)) / (next - prev);
  }
  notes.push(`column '${name}': ${missing} missing value${missing > 1 ? 's' : ''} filled (${fill})`);
  return out;
}
