/**
 * Tagged-text readers for POS tagging, each giving sentences of (word, tag):
 *
 * - CoNLL-U (Universal Dependencies): 10 tab-separated columns per word line, a
 *   blank line after each sentence; `#` comments, multiword-token ranges (`1-2`)
 *   and empty nodes (`1.1`) are skipped; the tag is UPOS (column 4) or XPOS (5).
 * - `word<TAB>tag`, one token per line, a blank line between sentences.
 * - `word/TAG` tokens separated by spaces, one sentence per line (the last `/`
 *   of a token separates the tag, so `1/2/CD` is the word `1/2`).
 *
 * A malformed line is a UserError naming the file and line. Data sets are a file
 * (split 80/10/10 by a seeded shuffle) or a directory whose file names contain
 * `train`, `dev` (or `valid`/`val`) and `test` (`en_ewt-ud-train.conllu`...).
 */
import * as fs from 'fs';
import * as path from 'path';
import { shuffled } from '../../src/data/batching';
import { readLines } from '../../src/data/text_file';
import { UserError } from '../../src/errors';
import type { TaggedFormat } from './config';

export interface TaggedSentence {
  words: string[];
  tags: string[];
  /** file:line of the sentence's first token (for messages). */
  source: string;
}

export interface TaggedSplits {
  train: TaggedSentence[];
  dev: TaggedSentence[];
  test: TaggedSentence[];
  /** What was done to obtain the splits (for the user). */
  notes: string[];
  /** The files read, by split. */
  files: { train: string; dev?: string; test?: string };
}

const MULTIWORD = /^\d+-\d+$/;
const EMPTY_NODE = /^\d+\.\d+$/;
const WORD_ID = /^\d+$/;

/** Which CoNLL-U column a tag comes from (0-based). */
export const CONLLU_COLUMN = { upos: 3, xpos: 4 } as const;

/** Parses CoNLL-U text into tagged sentences. */
export function parseConllu(text: string, file: string, tagColumn: 'upos' | 'xpos' = 'upos'): TaggedSentence[] {
  return parseConlluLines(text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)), file, tagColumn);
}

function parseConlluLines(lines: string[], file: string, tagColumn: 'upos' | 'xpos'): TaggedSentence[] {
  const col = CONLLU_COLUMN[tagColumn];
  const out: TaggedSentence[] = [];
  let cur: TaggedSentence | null = null;
  let expected = 1;
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.trim() === '') {
      if (cur) out.push(cur);
      cur = null;
      expected = 1;
      return;
    }
    if (line.startsWith('#')) return;
    const cells = line.split('\t');
    if (cells.length !== 10) throw new UserError(`${where}: expected 10 tab-separated CoNLL-U columns, found ${cells.length}`);
    const id = cells[0];
    if (MULTIWORD.test(id) || EMPTY_NODE.test(id)) return;
    if (!WORD_ID.test(id)) throw new UserError(`${where}: bad word ID '${id}' (expected 1, 2, ... or a range 1-2 or an empty node 1.1)`);
    if (Number(id) !== expected) throw new UserError(`${where}: word ID ${id} out of order (expected ${expected}; is a blank line missing between sentences?)`);
    expected++;
    const form = cells[1];
    const tag = cells[col].trim();
    if (form === '') throw new UserError(`${where}: empty FORM (column 2)`);
    if (tag === '' || tag === '_') throw new UserError(`${where}: no ${tagColumn.toUpperCase()} tag in column ${col + 1}${tagColumn === 'xpos' ? ' (this treebank may have no XPOS; use --tag-column upos)' : ''}`);
    cur ??= { words: [], tags: [], source: where };
    cur.words.push(form);
    cur.tags.push(tag);
  });
  if (cur) out.push(cur);
  return out;
}

/** Parses `word<TAB>tag` lines (blank line between sentences). */
export function parseTsv(lines: string[], file: string): TaggedSentence[] {
  const out: TaggedSentence[] = [];
  let cur: TaggedSentence | null = null;
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.trim() === '') {
      if (cur) out.push(cur);
      cur = null;
      return;
    }
    const cells = line.split('\t');
    if (cells.length !== 2) throw new UserError(`${where}: expected word<TAB>tag (2 tab-separated columns), found ${cells.length}`);
    const [word, tag] = [cells[0].trim(), cells[1].trim()];
    if (!word || !tag) throw new UserError(`${where}: empty ${word ? 'tag' : 'word'} in word<TAB>tag line`);
    cur ??= { words: [], tags: [], source: where };
    cur.words.push(word);
    cur.tags.push(tag);
  });
  if (cur) out.push(cur);
  return out;
}

/** Parses `word/TAG word/TAG ...` sentences, one per line. */
export function parseSlash(lines: string[], file: string): TaggedSentence[] {
  const out: TaggedSentence[] = [];
  lines.forEach((line, i) => {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (!tokens.length) return;
    const s: TaggedSentence = { words: [], tags: [], source: `${file}:${i + 1}` };
    for (const t of tokens) {
      const k = t.lastIndexOf('/');
      if (k <= 0 || k === t.length - 1) throw new UserError(`${file}:${i + 1}: token '${t}' is not word/TAG`);
      s.words.push(t.slice(0, k));
      s.tags.push(t.slice(k + 1));
    }
    out.push(s);
  });
  return out;
}

/** The format of a file: by extension (.conllu/.conll, .tsv), else by its first data line. */
export function detectFormat(file: string, lines: string[]): Exclude<TaggedFormat, 'auto'> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.conllu' || ext === '.conll') return 'conllu';
  if (ext === '.tsv') return 'tsv';
  const first = lines.find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (first === undefined) return 'conllu'; // only comments: let the reader say it is empty
  const cols = first.split('\t').length;
  if (cols === 10) return 'conllu';
  if (cols === 2) return 'tsv';
  return 'slash';
}

/** Reads one tagged file in the given (or detected) format. */
export function readTaggedFile(file: string, format: TaggedFormat = 'auto', tagColumn: 'upos' | 'xpos' = 'upos'): TaggedSentence[] {
  const lines = readLines(file);
  const kind = format === 'auto' ? detectFormat(file, lines) : format;
  const sentences = kind === 'conllu' ? parseConlluLines(lines, file, tagColumn) : kind === 'tsv' ? parseTsv(lines, file) : parseSlash(lines, file);
  if (!sentences.length) throw new UserError(`${file}: no tagged sentences found (read as ${kind})`);
  return sentences;
}

const SPLIT_NAMES = {
  train: /(^|[^a-z])train(ing)?([^a-z]|$)/i,
  dev: /(^|[^a-z])(dev|valid|validation|val)([^a-z]|$)/i,
  test: /(^|[^a-z])test([^a-z]|$)/i,
};

function findSplit(dir: string, files: string[], which: keyof typeof SPLIT_NAMES): string | undefined {
  const hits = files.filter((f) => SPLIT_NAMES[which].test(f.replace(/\.[^.]*$/, '')));
  if (hits.length > 1) throw new UserError(`${dir}: several ${which} files (${hits.join(', ')}); keep one`);
  return hits.length ? path.join(dir, hits[0]) : undefined;
}

/**
 * Loads train/dev/test from a file or a split directory. Missing splits are taken
 * from the training data by a seeded shuffle (80/10/10 for a single file), and
 * `notes` says so.
 */
export function loadTaggedSplits(dataPath: string, format: TaggedFormat, tagColumn: 'upos' | 'xpos', seed: number): TaggedSplits {
  if (!fs.existsSync(dataPath)) throw new UserError(`${dataPath}: no such file or directory`);
  const notes: string[] = [];
  const read = (f: string): TaggedSentence[] => readTaggedFile(f, format, tagColumn);
  if (fs.statSync(dataPath).isFile()) {
    const all = shuffled(read(dataPath), seed);
    if (all.length < 3) throw new UserError(`${dataPath}: ${all.length} sentence(s); need at least 3 to split into train/dev/test`);
    const n = Math.max(1, Math.round(all.length * 0.1));
    notes.push(`single file: split ${all.length} sentences into train/dev/test ${all.length - 2 * n}/${n}/${n} (80/10/10) by a seeded shuffle (seed ${seed})`);
    return { test: all.slice(0, n), dev: all.slice(n, 2 * n), train: all.slice(2 * n), notes, files: { train: dataPath } };
  }
  const files = fs.readdirSync(dataPath).filter((f) => !f.startsWith('.') && fs.statSync(path.join(dataPath, f)).isFile()).sort();
  const trainFile = findSplit(dataPath, files, 'train');
  if (!trainFile) throw new UserError(`${dataPath}: no training file (expected a file whose name contains 'train', e.g. train.conllu)`);
  const devFile = findSplit(dataPath, files, 'dev');
  const testFile = findSplit(dataPath, files, 'test');
  let train = read(trainFile);
  let dev: TaggedSentence[];
  if (devFile) dev = read(devFile);
  else {
    const s = shuffled(train, seed);
    const n = Math.max(1, Math.round(s.length * 0.1));
    [dev, train] = [s.slice(0, n), s.slice(n)];
    notes.push(`no dev file: took ${n} training sentences for dev by a seeded shuffle (seed ${seed})`);
  }
  const test = testFile ? read(testFile) : [];
  if (!testFile) notes.push('no test file: reporting dev metrics only');
  return { train, dev, test, notes, files: { train: trainFile, dev: devFile, test: testFile } };
}

/** A CoNLL-U document kept line by line, so predictions can be written back into it. */
export interface ConlluDocument {
  lines: string[];
  /** For each sentence, the indices in `lines` of its word lines (integer IDs) and their forms. */
  sentences: { wordLines: number[]; words: string[] }[];
}

/** Parses CoNLL-U for prediction: tags may be missing ('_'); every line is kept as it is. */
export function parseConlluDocument(text: string, name: string): ConlluDocument {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const sentences: ConlluDocument['sentences'] = [];
  let cur: ConlluDocument['sentences'][number] | null = null;
  lines.forEach((line, i) => {
    if (line.trim() === '') {
      if (cur) sentences.push(cur);
      cur = null;
      return;
    }
    if (line.startsWith('#')) return;
    const cells = line.split('\t');
    if (cells.length !== 10) throw new UserError(`${name}:${i + 1}: expected 10 tab-separated CoNLL-U columns, found ${cells.length}`);
    if (MULTIWORD.test(cells[0]) || EMPTY_NODE.test(cells[0])) return;
    if (!WORD_ID.test(cells[0])) throw new UserError(`${name}:${i + 1}: bad word ID '${cells[0]}'`);
    if (cells[1] === '') throw new UserError(`${name}:${i + 1}: empty FORM (column 2)`);
    cur ??= { wordLines: [], words: [] };
    cur.wordLines.push(i);
    cur.words.push(cells[1]);
  });
  if (cur) sentences.push(cur);
  return { lines, sentences };
}

/** The document with tags written into one column of each sentence's word lines; every other byte unchanged. */
export function writeConlluTags(doc: ConlluDocument, tags: string[][], column: number): string {
  const lines = doc.lines.slice();
  doc.sentences.forEach((s, i) => {
    s.wordLines.forEach((li, j) => {
      const cells = lines[li].split('\t');
      cells[column] = tags[i][j];
      lines[li] = cells.join('\t');
    });
  });
  return lines.join('\n') + '\n';
}
