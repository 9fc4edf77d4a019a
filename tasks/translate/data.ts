/**
 * Translation data: readers → sentence pairs → tokens → ids.
 *
 * Formats of --data:
 * - a directory of parallel files, one sentence per line, line i of the source
 *   file translating line i of the target file: `train.SRC` + `train.TGT`, dev from
 *   `val.*` / `dev.*` / `valid.*`, test from `test*.*` (Multi30k's
 *   `test_2016_flickr.de`); the languages are the file suffixes chosen by
 *   --source / --target, and files like `train.lc.norm.tok.de` are a variant chosen
 *   by --variant;
 * - a tab-separated file of pairs (`source<TAB>target[<TAB>ignored...]`, the
 *   Tatoeba / manythings.org format), or a directory with train.tsv [dev.tsv test.tsv];
 *   a single file is split 90/5/5 by a seeded shuffle.
 *
 * Tokenization is sacreBLEU's 13a (so BLEU's own tokenization of the detokenized
 * output gives back the model's tokens), optionally lowercased; Moses escapes
 * (&apos; &quot; ...) are undone on reading.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SeededRandom } from '../../layers/random';
import { tokenize13a } from '../../src/metrics/bleu';
import { PAD, UNK, Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { readLines as readTextLines } from '../../src/data/text_file';

/** One sentence pair with where it came from (file:line). */
export interface Pair {
  src: string;
  tgt: string;
  where: string;
}

export interface TranslationSplits {
  train: Pair[];
  dev: Pair[];
  test: Pair[];
  /** What was read, for the notes. */
  notes: string[];
  /** Names of the two sides (language suffixes or 'column 1'/'column 2'). */
  sourceName: string;
  targetName: string;
}

export interface ReadOptions {
  source?: string;
  target?: string;
  variant?: string;
  swap?: boolean;
  seed?: number;
}

export const SOS = '<sos>';
export const EOS = '<eos>';
/** Target ids of the special tokens (PAD 0 and UNK 1 come from Vocabulary). */
export const SOS_ID = 2;
export const EOS_ID = 3;

const ENTITIES: [RegExp, string][] = [
  [/&apos;/g, "'"], [/&quot;/g, '"'], [/&lt;/g, '<'], [/&gt;/g, '>'], [/&#124;/g, '|'], [/&#91;/g, '['], [/&#93;/g, ']'], [/&amp;/g, '&'],
];
function unescape(s: string): string {
  return s.includes('&') ? ENTITIES.reduce((t, [re, r]) => t.replace(re, r), s) : s;
}

/** The lines of a text file: the shared strict reader (UTF-8, no binary, not empty; src/data/text_file.ts). */
const readLines = (file: string): string[] => readTextLines(file);

/** Reads aligned source and target files. */
function readParallel(srcFile: string, tgtFile: string): Pair[] {
  const s = readLines(srcFile);
  const t = readLines(tgtFile);
  if (s.length !== t.length) throw new UserError(`${tgtFile}: ${t.length} lines, but ${srcFile} has ${s.length}; parallel files must have one line per sentence, aligned`);
  return s.map((line, i) => ({ src: unescape(line.trim()), tgt: unescape(t[i].trim()), where: `${srcFile}:${i + 1}` }));
}

/** Reads `source<TAB>target[<TAB>...]` lines (extra columns ignored; blank lines skipped). */
export function readTsv(file: string, swap = false): Pair[] {
  const pairs: Pair[] = [];
  readLines(file).forEach((line, i) => {
    if (!line.trim()) return;
    const cols = line.split('\t');
    if (cols.length < 2) throw new UserError(`${file}:${i + 1}: expected 'source<TAB>target', found no tab`);
    const [a, b] = [unescape(cols[0].trim()), unescape(cols[1].trim())];
    pairs.push(swap ? { src: b, tgt: a, where: `${file}:${i + 1}` } : { src: a, tgt: b, where: `${file}:${i + 1}` });
  });
  return pairs;
}

/** A seeded 90/5/5 split (dev and test at most 2,000 pairs each). */
function splitPairs(pairs: Pair[], seed: number): { train: Pair[]; dev: Pair[]; test: Pair[] } {
  const order = [...pairs.keys()];
  const rng = new SeededRandom(seed + 4049);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const held = Math.min(2000, Math.max(1, Math.round(pairs.length * 0.05)));
  const pick = (a: number, b: number): Pair[] => order.slice(a, b).map((i) => pairs[i]);
  return { dev: pick(0, held), test: pick(held, 2 * held), train: pick(2 * held, order.length) };
}

type SplitName = 'train' | 'dev' | 'test';
const SPLIT_RE = /^(train|dev|val|valid|validation|test)([^.]*)((?:\.[^.]+)*)\.([^.]+)$/i;
function splitOf(prefix: string): SplitName {
  const p = prefix.toLowerCase();
  return p === 'train' ? 'train' : p === 'test' ? 'test' : 'dev';
}

/** Parallel files in a directory: split → variant → language → files. */
function parallelFiles(dir: string): { split: SplitName; stem: string; variant: string; lang: string; file: string }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => !/\.(tsv|csv|json|md|txt|gz|zip)$/i.test(f) && fs.statSync(path.join(dir, f)).isFile())
    .map((f) => {
      const m = SPLIT_RE.exec(f);
      return m ? { split: splitOf(m[1]), stem: m[1] + m[2], variant: m[3].replace(/^\./, ''), lang: m[4], file: path.join(dir, f) } : null;
    })
    .filter((x): x is NonNullable<typeof x> => x !== null)
    .sort((a, b) => (a.file < b.file ? -1 : 1));
}

/** Reads the data at `dataPath` (see the file comment). */
export function loadTranslationData(dataPath: string, options: ReadOptions = {}): TranslationSplits {
  if (!fs.existsSync(dataPath)) throw new UserError(`${dataPath}: no such file or directory`);
  const notes: string[] = [];
  const seed = options.seed ?? 1;
  if (fs.statSync(dataPath).isFile()) {
    const pairs = readTsv(dataPath, options.swap);
    if (pairs.length < 3) throw new UserError(`${dataPath}: ${pairs.length} sentence pairs; need at least 3 to split into train/dev/test`);
    const s = splitPairs(pairs, seed);
    notes.push(`${dataPath}: ${pairs.length} pairs split 90/5/5 (seeded) into ${s.train.length} train / ${s.dev.length} dev / ${s.test.length} test`);
    return { ...s, notes, sourceName: options.swap ? 'column 2' : 'column 1', targetName: options.swap ? 'column 1' : 'column 2' };
  }
  // A directory: parallel files first, else TSV files.
  const files = parallelFiles(dataPath);
  if (files.length) {
    const langs = [...new Set(files.map((f) => f.lang))].sort();
    const { source, target } = options;
    if (!source || !target) throw new UserError(`${dataPath}: parallel files in ${langs.join(', ')}; choose the languages with --source and --target (e.g. --source ${langs[0]} --target ${langs[1] ?? langs[0]})`);
    for (const l of [source, target]) if (!langs.includes(l)) throw new UserError(`${dataPath}: no files for language '${l}' (found: ${langs.join(', ')})`);
    const variants = [...new Set(files.filter((f) => f.split === 'train').map((f) => f.variant))].sort();
    const variant = options.variant ?? (variants.includes('') ? '' : variants[0]);
    if (!variants.includes(variant)) throw new UserError(`${dataPath}: no training files of variant '${variant}' (found: ${variants.map((v) => v || '(plain)').join(', ')})`);
    if (variants.length > 1) notes.push(`${dataPath}: using the ${variant ? `'${variant}'` : 'plain'} files (also there: ${variants.filter((v) => v !== variant).map((v) => v || '(plain)').join(', ')}; choose with --variant)`);
    const out: Record<SplitName, Pair[]> = { train: [], dev: [], test: [] };
    for (const split of ['train', 'dev', 'test'] as SplitName[]) {
      const stems = [...new Set(files.filter((f) => f.split === split && f.variant === variant).map((f) => f.stem))];
      const stem = stems.find((st) => files.some((f) => f.stem === st && f.variant === variant && f.lang === source) && files.some((f) => f.stem === st && f.variant === variant && f.lang === target));
      if (!stem) continue;
      if (stems.length > 1) notes.push(`${split}: ${stem} (also there: ${stems.filter((s) => s !== stem).join(', ')})`);
      const file = (lang: string): string => files.find((f) => f.stem === stem && f.variant === variant && f.lang === lang)!.file;
      out[split] = readParallel(file(source), file(target));
      notes.push(`${split}: ${path.basename(file(source))} + ${path.basename(file(target))}, ${out[split].length} pairs`);
    }
    if (!out.train.length) throw new UserError(`${dataPath}: no training files train*.${source} + train*.${target}`);
    if (!out.dev.length) {
      const s = splitPairs(out.train, seed);
      out.dev = s.dev;
      out.train = [...s.train, ...s.test];
      notes.push(`no dev files: ${out.dev.length} training pairs held out as dev`);
    }
    return { ...out, notes, sourceName: source, targetName: target };
  }
  const tsv = (name: string): string | undefined =>
    fs.readdirSync(dataPath).map((f) => path.join(dataPath, f)).find((f) => new RegExp(`^${name}.*\\.(tsv|txt)$`, 'i').test(path.basename(f)));
  const trainFile = tsv('train');
  if (!trainFile) throw new UserError(`${dataPath}: no parallel files (train.SRC + train.TGT) and no train.tsv`);
  const train = readTsv(trainFile, options.swap);
  const devFile = tsv('dev') ?? tsv('val');
  const testFile = tsv('test');
  let dev = devFile ? readTsv(devFile, options.swap) : [];
  let rest = train;
  if (!dev.length) {
    const s = splitPairs(train, seed);
    dev = s.dev;
    rest = [...s.train, ...s.test];
    notes.push(`no dev file: ${dev.length} training pairs held out as dev`);
  }
  const test = testFile ? readTsv(testFile, options.swap) : [];
  notes.push(`${path.basename(trainFile)}: ${rest.length} train, ${dev.length} dev${devFile ? ` (${path.basename(devFile)})` : ''}, ${test.length} test${testFile ? ` (${path.basename(testFile)})` : ''} pairs`);
  return { train: rest, dev, test, notes, sourceName: options.swap ? 'column 2' : 'column 1', targetName: options.swap ? 'column 1' : 'column 2' };
}

/** The model's tokens of a sentence: 13a tokenization, optionally lowercased. */
export function tokenize(text: string, lowercase: boolean): string[] {
  const t = tokenize13a(lowercase ? text.toLowerCase() : text);
  return t ? t.split(' ') : [];
}

/** Tokens back to text: undoes the spaces 13a inserts around punctuation (so 13a of the result gives the tokens again). */
export function detokenize(tokens: string[]): string {
  return tokens
    .join(' ')
    .replace(/ ([.,!?;:%)\]}])/g, '$1')
    .replace(/([([{$]) /g, '$1')
    .replace(/(\d) - (?=\d)/g, '$1-');
}

/** A target vocabulary: <pad> <unk> <sos> <eos>, then tokens by frequency. */
export function buildTargetVocabulary(texts: string[][], minFreq: number, maxSize: number): Vocabulary {
  const v = Vocabulary.build(texts, { minFreq, maxSize: maxSize - 2 });
  return Vocabulary.fromJSON([PAD, UNK, SOS, EOS, ...v.tokens.slice(2).filter((t) => t !== SOS && t !== EOS)]);
}

/** An encoded pair: source ids (no special tokens) and target ids (no <sos>/<eos>). */
export interface EncodedPair {
  src: number[];
  tgt: number[];
}

/** A training batch: source [B, S] and target [B, T+1] ids, 0-padded, with lengths. */
export interface TranslationBatch {
  /** [B, S] source ids, 0-padded. */
  src: number[][];
  srcLengths: number[];
  /** [B, T] decoder inputs: <sos> y1 .. yn, 0-padded. */
  tgtIn: number[][];
  /** [B, T] decoder targets: y1 .. yn <eos>, 0-padded. */
  tgtOut: number[][];
  /** Real target length (n + 1) of each row. */
  tgtLengths: number[];
  /** Indices of the pairs in the encoded array. */
  index: number[];
}

function pad(rows: number[][], T: number): number[][] {
  return rows.map((r) => (r.length >= T ? r.slice(0, T) : [...r, ...new Array(T - r.length).fill(0)]));
}

/** A batch of the pairs at `index`. */
export function makeBatch(pairs: EncodedPair[], index: number[]): TranslationBatch {
  const src = index.map((i) => (pairs[i].src.length ? pairs[i].src : [UNK_ID]));
  const tgtIn = index.map((i) => [SOS_ID, ...pairs[i].tgt]);
  const tgtOut = index.map((i) => [...pairs[i].tgt, EOS_ID]);
  const S = Math.max(...src.map((s) => s.length));
  const T = Math.max(...tgtOut.map((s) => s.length));
  return { src: pad(src, S), srcLengths: src.map((s) => s.length), tgtIn: pad(tgtIn, T), tgtOut: pad(tgtOut, T), tgtLengths: tgtOut.map((s) => s.length), index };
}
const UNK_ID = 1;

/**
 * Batches of one epoch: pairs shuffled (seeded), sorted by length within pools of
 * 50 batches (so padding stays small), cut into batches of `batchSize` pairs,
 * the batch order shuffled again.
 */
export function epochBatches(pairs: EncodedPair[], batchSize: number, seed: number, shuffle = true): TranslationBatch[] {
  const order = [...pairs.keys()];
  const rng = new SeededRandom(seed);
  if (shuffle) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const key = (i: number): number => pairs[i].src.length * 1000 + pairs[i].tgt.length;
  const pool = batchSize * 50;
  const batches: TranslationBatch[] = [];
  for (let p = 0; p < order.length; p += pool) {
    const chunk = order.slice(p, p + pool).sort((a, b) => key(a) - key(b));
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(makeBatch(pairs, chunk.slice(i, i + batchSize)));
  }
  if (!shuffle) return batches;
  for (let i = batches.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  return batches;
}
