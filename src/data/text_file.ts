/**
 * The one text reader of every task (files, standard input, command-line
 * arguments): strict UTF-8, so a file in another encoding or a binary file is a
 * one-line data error naming the file and line instead of odd training data.
 *
 * - a UTF-8 byte-order mark is dropped; UTF-16/UTF-32 marks are refused with what
 *   to do;
 * - an invalid UTF-8 sequence is refused with `FILE:LINE` (and the byte column of
 *   that line); a NUL byte (binary data: executables, images, archives,
 *   UTF-16 text without its mark) likewise, and a known binary signature (ELF,
 *   PNG, gzip, zip, PDF...) is named;
 * - empty or whitespace-only input is refused ("the file is empty"), unless the
 *   caller allows it;
 * - lines split on \n only (so U+0085 or U+2028 inside a line stay in it, as in
 *   the UCI sentiment files), a \r before it dropped.
 *
 * Every refusal is a `UserError` (exit code 1): the CLI prints it as one line.
 *
 *   const lines = readLines('train.txt');          // string[]
 *   const text = readText('corpus.txt');           // the whole text
 *   const input = await readStdinText();           // rnn-predict's stdin ('' for a terminal)
 */
import * as fs from 'fs';
import { UserError } from '../errors';

/** Options of the readers. */
export interface TextReadOptions {
  /** Accept empty / whitespace-only input (returns '' or []). Default false. */
  allowEmpty?: boolean;
}

/** Magic numbers of common binary formats, to say what a file is when it is not text. */
const SIGNATURES: { bytes: number[]; name: string }[] = [
  { bytes: [0x7f, 0x45, 0x4c, 0x46], name: 'an ELF executable' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], name: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], name: 'a JPEG image' },
  { bytes: [0x1f, 0x8b], name: 'gzip-compressed data (decompress it first)' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a zip archive (extract it first)' },
  { bytes: [0x25, 0x50, 0x44, 0x46], name: 'a PDF document' },
  { bytes: [0x42, 0x5a, 0x68], name: 'bzip2-compressed data (decompress it first)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a], name: 'xz-compressed data (decompress it first)' },
  { bytes: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], name: 'a NumPy .npy array' },
  { bytes: [0x4d, 0x5a], name: 'a Windows executable' },
];

const startsWith = (b: Uint8Array, sig: number[]): boolean => b.length >= sig.length && sig.every((x, i) => b[i] === x);

/**
 * Offset of the first byte that does not belong to a valid UTF-8 sequence
 * (overlong forms, surrogates and code points above U+10FFFF are invalid, as for
 * TextDecoder's fatal mode), or -1.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= n) return i; // truncated at the end
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= need; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line and byte column of `offset`. */
function lineOf(b: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = b.indexOf(10); i !== -1 && i < offset; i = b.indexOf(10, i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/**
 * Decodes bytes as strict UTF-8 text, BOM dropped; `source` names the input in
 * messages (a file name, '<stdin>', 'argument 2'). Throws a UserError naming
 * source:line:column for binary or non-UTF-8 content, and for empty input unless
 * allowed.
 */
export function decodeText(bytes: Uint8Array, source: string, options: TextReadOptions = {}): string {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    throw new UserError(`${source}:1: UTF-16 text; convert it to UTF-8 (e.g. iconv -f utf-16 -t utf-8)`);
  }
  const sig = SIGNATURES.find((s) => startsWith(bytes, s.bytes));
  // a signature names the format only when the bytes are not text anyway ("MZ" or "%PDF" may start a text file)
  if (sig && (bytes.indexOf(0) !== -1 || firstInvalidUtf8(bytes) !== -1)) throw new UserError(`${source}:1: not text: the data is ${sig.name}`);
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const { line, column } = lineOf(bytes, nul);
    throw new UserError(`${source}:${line}: binary data (a NUL byte at column ${column}), not text`);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    const { line, column } = lineOf(bytes, bad);
    throw new UserError(`${source}:${line}: not valid UTF-8 text (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at column ${column}); convert it to UTF-8, e.g. iconv -f latin1 -t utf-8`);
  }
  let text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!options.allowEmpty && text.trim() === '') throw new UserError(`${source}: ${source === '<stdin>' ? 'standard input is empty' : 'the file is empty'}`);
  return text;
}

/** Splits text into lines: on \n, a trailing \r dropped, no final empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The raw bytes of an input file, with one-line errors for a missing path, a directory or an unreadable file. */
export function readInputBytes(file: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' || code === 'ENOTDIR' ? `${file}: no such file` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
  if (st.isDirectory()) throw new UserError(`${file}: is a directory, expected a text file`);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read (${code === 'EACCES' ? 'permission denied' : code ?? (e as Error).message})`);
  }
}

/** The whole text of a UTF-8 file (see the rules above). */
export function readText(file: string, options: TextReadOptions = {}): string {
  return decodeText(readInputBytes(file), file, options);
}

/** The lines of a UTF-8 text file (without line terminators, trailing empty line dropped). */
export function readLines(file: string, options: TextReadOptions = {}): string[] {
  return splitLines(readText(file, options));
}

/**
 * All of standard input as strict UTF-8 text ('' when stdin is a terminal, and for
 * empty input when allowed). Non-text bytes are refused like a file's, as `<stdin>:LINE`.
 */
export async function readStdinText(options: TextReadOptions & { stdin?: NodeJS.ReadableStream & { isTTY?: boolean } } = {}): Promise<string> {
  const stdin = options.stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : (c as Buffer));
  return decodeText(Buffer.concat(chunks), '<stdin>', { allowEmpty: options.allowEmpty ?? true });
}

/** A command-line argument as text: refuses the U+FFFD a shell produces from non-UTF-8 bytes. */
export function checkArgumentText(arg: string, source: string): string {
  const i = arg.indexOf('\ufffd');
  if (i !== -1) throw new UserError(`${source}: not valid UTF-8 text (character ${i + 1} is U+FFFD, the mark of undecodable bytes)`);
  if (arg.includes('\0')) throw new UserError(`${source}: contains a NUL character`);
  return arg;
}
