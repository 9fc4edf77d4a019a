/**
 * Reading text files strictly: UTF-8 only (a bad byte is an error naming the
 * line), not empty, split on \n only (so U+0085 or U+2028 inside a line stay in
 * it, as in the UCI sentiment files), \r\n tolerated.
 */
import * as fs from 'fs';
import { UserError } from '../errors';

/** The lines of a UTF-8 text file (without line terminators, trailing empty line dropped). */
export function readLines(file: string): string[] {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new UserError(`${file}: is a directory, expected a text file`);
  const bytes = fs.readFileSync(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the line of the first invalid byte sequence for the message.
    let line = 1;
    for (let i = 0; i < bytes.length; i++) {
      const chunkEnd = bytes.indexOf(10, i);
      const end = chunkEnd === -1 ? bytes.length : chunkEnd;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, end));
      } catch {
        throw new UserError(`${file}:${line}: not valid UTF-8 text (convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8)`);
      }
      i = end;
      line++;
    }
    throw new UserError(`${file}: not valid UTF-8 text`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.every((l) => l.trim() === '')) throw new UserError(`${file}: the file is empty`);
  return lines;
}
