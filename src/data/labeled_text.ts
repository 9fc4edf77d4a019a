/**
 * Labeled-text data sets (sentiment and other text classification):
 *
 * - a TSV/CSV file with a label column and a text column, with or without a
 *   header; columns chosen by name or 1-based number, else guessed (a header
 *   naming label/text columns, or the column with the fewest distinct values is
 *   the label);
 * - a directory with train.* and dev.* / valid.* / val.* and test.* files of
 *   that format;
 * - a directory of one file per class (file name = label, one example per line).
 *
 * Every problem is a UserError naming the file and line.
 */
import * as fs from 'fs';
import * as path from 'path';
import Papa from 'papaparse';
import { UserError } from '../errors';
import { shuffled } from './batching';
import { readLines } from './text_file';

export interface LabeledText {
  text: string;
  label: string;
  /** file:line, for messages and error reports. */
  source: string;
}

export interface ColumnOptions {
  /** Label column: header name or 1-based number. */
  labelColumn?: string | number;
  /** Text column: header name or 1-based number. */
  textColumn?: string | number;
  /** Whether the first row is a header; guessed when omitted. */
  header?: boolean;
}

export interface Splits {
  train: LabeledText[];
  dev: LabeledText[];
  test: LabeledText[];
  /** What was done to obtain the splits, for the user (e.g. "split by a seeded shuffle"). */
  notes: string[];
}

const LABEL_NAMES = ['label', 'labels', 'sentiment', 'polarity', 'class', 'category', 'target', 'y'];
const TEXT_NAMES = ['text', 'sentence', 'review', 'content', 'document', 'comment', 'x'];

function splitRow(line: string, delimiter: string, file: string, lineNo: number): string[] {
  if (delimiter === '\t') return line.split('\t');
  const r = Papa.parse<string[]>(line, { delimiter });
  if (r.errors.length) throw new UserError(`${file}:${lineNo}: cannot parse this CSV line (${r.errors[0].message})`);
  return r.data[0] ?? [''];
}

function resolveColumn(spec: string | number, header: string[] | null, ncols: number, file: string, what: string): number {
  if (typeof spec === 'number' || /^\d+$/.test(String(spec))) {
    const n = Number(spec);
    if (n < 1 || n > ncols) throw new UserError(`${file}: ${what} column ${n} does not exist (the file has ${ncols} columns)`);
    return n - 1;
  }
  if (!header) throw new UserError(`${file}: ${what} column '${spec}' given by name, but the file has no header row`);
  const i = header.findIndex((h) => h.trim().toLowerCase() === String(spec).toLowerCase());
  if (i < 0) throw new UserError(`${file}: missing column '${spec}' (header has: ${header.join(', ')})`);
  return i;
}

/** Reads one TSV/CSV file of labeled texts. */
export { shuffled };

export function readLabeledFile(file: string, options: ColumnOptions = {}): LabeledText[] {
  const lines = readLines(file);
  const delimiter = file.toLowerCase().endsWith('.csv') ? ',' : '\t';
  const kind = delimiter === '\t' ? 'tab-separated' : 'comma-separated';
  const first = splitRow(lines[0], delimiter, file, 1);
  if (first.length < 2) {
    throw new UserError(`${file}:1: expected ${kind} columns (a label and a text), found a single column`);
  }
  const lower = first.map((c) => c.trim().toLowerCase());
  let hasHeader =
    options.header ??
    (lower.some((c) => LABEL_NAMES.includes(c)) ||
      lower.some((c) => TEXT_NAMES.includes(c)) ||
      [options.labelColumn, options.textColumn].some((c) => typeof c === 'string' && !/^\d+$/.test(c)));
  if (options.header === undefined && !hasHeader && typeof options.labelColumn === 'number' && lines.length > 2) {
    // A first-row "label" that never recurs in a column of repeated labels is a header.
    const j = options.labelColumn - 1;
    const rest = lines.slice(1, 501).filter((l) => l.trim()).map((l, i) => splitRow(l, delimiter, file, i + 2)[j]);
    const distinct = new Set(rest);
    hasHeader = distinct.size <= Math.max(20, rest.length / 10) && !distinct.has(first[j]);
  }
  const header = hasHeader ? first : null;
  const ncols = first.length;
  const startLine = hasHeader ? 2 : 1;
  const rows: { cells: string[]; line: number }[] = [];
  for (let i = startLine - 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = splitRow(lines[i], delimiter, file, i + 1);
    if (cells.length !== ncols) {
      throw new UserError(`${file}:${i + 1}: expected ${ncols} ${kind} columns like line ${startLine === 2 ? 1 : 1}, found ${cells.length}`);
    }
    rows.push({ cells, line: i + 1 });
  }
  if (!rows.length) throw new UserError(`${file}: no data rows after the header`);

  let labelCol: number;
  let textCol: number;
  if (options.labelColumn !== undefined) labelCol = resolveColumn(options.labelColumn, header, ncols, file, 'label');
  else if (header && lower.some((c) => LABEL_NAMES.includes(c))) labelCol = lower.findIndex((c) => LABEL_NAMES.includes(c));
  else {
    // The label column is the one with the fewest distinct values (ties: shorter values).
    const sample = rows.slice(0, 500);
    const score = (j: number) => new Set(sample.map((r) => r.cells[j])).size * 1000 + sample.reduce((a, r) => a + r.cells[j].length, 0) / sample.length;
    labelCol = [...Array(ncols).keys()].sort((a, b) => score(a) - score(b))[0];
  }
  if (options.textColumn !== undefined) textCol = resolveColumn(options.textColumn, header, ncols, file, 'text');
  else if (header && lower.some((c, j) => TEXT_NAMES.includes(c) && j !== labelCol)) textCol = lower.findIndex((c, j) => TEXT_NAMES.includes(c) && j !== labelCol);
  else {
    // The text column is the longest remaining one.
    const others = [...Array(ncols).keys()].filter((j) => j !== labelCol);
    const len = (j: number) => rows.slice(0, 500).reduce((a, r) => a + r.cells[j].length, 0);
    textCol = others.sort((a, b) => len(b) - len(a))[0];
  }
  if (labelCol === textCol) throw new UserError(`${file}: the label and text columns must differ`);
  // A label column with a different value on most rows is a text or id column chosen by mistake.
  const distinct = new Set(rows.map((r) => r.cells[labelCol].trim()));
  if (rows.length >= 20 && distinct.size > Math.max(50, rows.length / 2)) {
    const where = header ? `'${header[labelCol]}' (column ${labelCol + 1})` : `column ${labelCol + 1}`;
    throw new UserError(`${file}: bad label column ${where}: ${distinct.size} different values in ${rows.length} rows; expected a few class labels (choose the column with --label-column)`);
  }

  return rows.map(({ cells, line }) => {
    const label = cells[labelCol].trim();
    const text = cells[textCol].trim();
    if (label === '') throw new UserError(`${file}:${line}: bad label: the label column (${labelCol + 1}) is empty`);
    if (text === '') throw new UserError(`${file}:${line}: the text column (${textCol + 1}) is empty`);
    return { text, label, source: `${file}:${line}` };
  });
}

/** One file per class: the file name (without extension) is the label, each non-empty line an example. */
export function readClassDirectory(dir: string): LabeledText[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => !f.startsWith('.') && fs.statSync(path.join(dir, f)).isFile())
    .sort();
  if (files.length < 2) throw new UserError(`${dir}: expected one text file per class (at least two), found ${files.length}`);
  const out: LabeledText[] = [];
  for (const f of files) {
    const label = f.replace(/\.[^.]*$/, '');
    readLines(path.join(dir, f)).forEach((line, i) => {
      if (line.trim()) out.push({ text: line.trim(), label, source: `${path.join(dir, f)}:${i + 1}` });
    });
  }
  return out;
}

function findSplit(dir: string, names: string[]): string | null {
  const files = fs.readdirSync(dir);
  for (const n of names) {
    const f = files.find((x) => x.replace(/\.[^.]*$/, '').toLowerCase() === n && fs.statSync(path.join(dir, x)).isFile());
    if (f) return path.join(dir, f);
  }
  return null;
}

/**
 * Loads train/dev/test from `dataPath` (file, split directory, or class
 * directory). Missing splits are carved from train by a seeded shuffle (80/10/10
 * for a single file), and `notes` says so.
 */
export function loadLabeledSplits(dataPath: string, options: ColumnOptions, seed: number): Splits {
  if (!fs.existsSync(dataPath)) throw new UserError(`${dataPath}: no such file or directory`);
  const notes: string[] = [];
  const carve = (items: LabeledText[], fraction: number, what: string): [LabeledText[], LabeledText[]] => {
    const s = shuffled(items, seed);
    const n = Math.max(1, Math.round(items.length * fraction));
    notes.push(`no ${what} split given: took ${n} examples from the training data by a seeded shuffle (seed ${seed})`);
    return [s.slice(n), s.slice(0, n)];
  };
  if (fs.statSync(dataPath).isFile()) {
    const all = shuffled(readLabeledFile(dataPath, options), seed);
    const nTest = Math.max(1, Math.round(all.length * 0.1));
    const nDev = Math.max(1, Math.round(all.length * 0.1));
    notes.push(`single file: split ${all.length} examples into train/dev/test ${all.length - nDev - nTest}/${nDev}/${nTest} (80/10/10) by a seeded shuffle (seed ${seed})`);
    return { test: all.slice(0, nTest), dev: all.slice(nTest, nTest + nDev), train: all.slice(nTest + nDev), notes };
  }
  const trainFile = findSplit(dataPath, ['train']);
  if (!trainFile) {
    const all = readClassDirectory(dataPath);
    const [rest, test] = carve(all, 0.1, 'test');
    const [train, dev] = carve(rest, 1 / 9, 'dev');
    notes.unshift(`${dataPath}: one file per class (${[...new Set(all.map((e) => e.label))].join(', ')})`);
    return { train, dev, test, notes };
  }
  let train = readLabeledFile(trainFile, options);
  const devFile = findSplit(dataPath, ['dev', 'valid', 'validation', 'val']);
  const testFile = findSplit(dataPath, ['test']);
  let dev: LabeledText[];
  if (devFile) dev = readLabeledFile(devFile, options);
  else [train, dev] = carve(train, 0.1, 'dev');
  const test = testFile ? readLabeledFile(testFile, options) : [];
  if (!testFile) notes.push('no test split given: reporting dev metrics only');
  const known = new Set(train.map((e) => e.label));
  for (const e of [...dev, ...test]) {
    if (!known.has(e.label)) {
      throw new UserError(`${e.source}: bad label '${e.label}': it does not occur in the training data (labels: ${[...known].sort().join(', ')})`);
    }
  }
  return { train, dev, test, notes };
}
