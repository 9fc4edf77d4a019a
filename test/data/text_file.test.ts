/**
 * The one text reader (src/data/text_file.ts): strict UTF-8 with file:line:column,
 * BOM handling, binary and empty inputs refused, stdin the same way; and a
 * property-based hunt (fast-check) over random bytes, truncations and line edits:
 * never anything but a UserError that names the source and line, or the exact text.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import fc from 'fast-check';
import { UserError } from '../../src/errors';
import { checkArgumentText, decodeText, firstInvalidUtf8, readLines, readStdinText, readText } from '../../src/data/text_file';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-text-'));
const file = (name: string, bytes: Uint8Array | string): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
};
const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
};

test('UTF-8 with and without BOM, \\r\\n, U+2028 inside a line', () => {
  const p = file('ok.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo\r\nwörld\u2028same line\n', 'utf8')]));
  expect(readLines(p)).toEqual(['héllo', 'wörld\u2028same line']);
  expect(readText(p)).toBe('héllo\r\nwörld\u2028same line\n');
});

test('latin-1 is refused at its line and column', () => {
  const p = file('latin1.csv', Buffer.from('date,temp\n2020-01-01,3\nd\xe9cembre,4\n', 'latin1'));
  expect(message(() => readLines(p))).toBe(`${p}:3: not valid UTF-8 text (byte 0xe9 at column 2); convert it to UTF-8, e.g. iconv -f latin1 -t utf-8`);
});

test('a latin-1 CSV header is refused on line 1', () => {
  const p = file('header.csv', Buffer.from('date,temp\xe9rature\n2020-01-01,3\n', 'latin1'));
  expect(message(() => readText(p))).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: not valid UTF-8 text \\(byte 0xe9 at column 10\\)`));
});

test('binary: ELF named, NUL bytes located, UTF-16 told apart', () => {
  expect(message(() => readText(process.execPath))).toBe(`${process.execPath}:1: not text: the data is an ELF executable`);
  const nul = file('nul.txt', Buffer.alloc(64));
  expect(message(() => readText(nul))).toBe(`${nul}:1: binary data (a NUL byte at column 1), not text`);
  const mid = file('mid.txt', Buffer.concat([Buffer.from('ab\ncd'), Buffer.from([0]), Buffer.from('e\n')]));
  expect(message(() => readLines(mid))).toBe(`${mid}:2: binary data (a NUL byte at column 3), not text`);
  const u16 = file('u16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hi\n', 'utf16le')]));
  expect(message(() => readText(u16))).toMatch(/:1: UTF-16 text; convert it to UTF-8/);
  // "MZ" and "%PDF" can start a text file: only binary content is named a format
  expect(readText(file('mz.txt', 'MZ is a word\n'))).toBe('MZ is a word\n');
});

test('empty, whitespace-only, missing and directory inputs', () => {
  for (const content of ['', '\n\n', '  \r\n\t\n', '\ufeff']) {
    const p = file('empty.txt', content);
    expect(message(() => readLines(p))).toBe(`${p}: the file is empty`);
    expect(readLines(p, { allowEmpty: true }).every((l) => l.trim() === '')).toBe(true);
  }
  expect(message(() => readText(path.join(dir, 'nope.txt')))).toBe(`${path.join(dir, 'nope.txt')}: no such file`);
  expect(message(() => readText(dir))).toBe(`${dir}: is a directory, expected a text file`);
});

test('stdin: the same rules as <stdin>, empty allowed, a terminal reads as empty', async () => {
  const from = (b: Buffer) => Readable.from([b.subarray(0, 3), b.subarray(3)]);
  await expect(readStdinText({ stdin: from(Buffer.from('héllo\n')) })).resolves.toBe('héllo\n');
  await expect(readStdinText({ stdin: from(Buffer.from('ok\nd\xe9j\xe0\n', 'latin1')) })).rejects.toThrow('<stdin>:2: not valid UTF-8 text (byte 0xe9 at column 2)');
  await expect(readStdinText({ stdin: from(Buffer.from([]) ) })).resolves.toBe('');
  await expect(readStdinText({ stdin: from(Buffer.from('  \n')), allowEmpty: false })).rejects.toThrow('<stdin>: standard input is empty');
  const tty = Object.assign(Readable.from([]), { isTTY: true });
  await expect(readStdinText({ stdin: tty })).resolves.toBe('');
});

test('arguments: U+FFFD (what undecodable argv bytes become) and NUL refused', () => {
  expect(checkArgumentText('fine', 'argument 1')).toBe('fine');
  expect(() => checkArgumentText('d\ufffdj\u00e0', 'argument 2')).toThrow('argument 2: not valid UTF-8 text (character 2 is U+FFFD');
});

test('property: the validator agrees with TextDecoder fatal on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      let ok = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(b);
      } catch {
        ok = false;
      }
      expect(firstInvalidUtf8(b) === -1).toBe(ok);
    }),
    { numRuns: 2000 },
  );
});

/** A valid text, then random damage: byte flips, truncation, inserted bytes, edited lines. */
const damaged = fc
  .tuple(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert', 'dropline')), { maxLength: 4 }),
  )
  .map(([lines, edits]) => {
    let b = Buffer.from(lines.join('\n'), 'utf8');
    for (const [at, byte, kind] of edits) {
      const i = b.length ? at % b.length : 0;
      if (kind === 'flip' && b.length) b[i] = byte;
      else if (kind === 'cut') b = b.subarray(0, i);
      else if (kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      else if (kind === 'dropline') {
        const ls = b.toString('latin1').split('\n');
        ls.splice(at % ls.length, 1);
        b = Buffer.from(ls.join('\n'), 'latin1');
      }
    }
    return b;
  });

test('property: random or damaged bytes give the exact text or one UserError line naming file:line', () => {
  const p = path.join(dir, 'fuzz.txt');
  fc.assert(
    fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u))), (bytes) => {
      fs.writeFileSync(p, bytes);
      let lines: string[];
      try {
        lines = readLines(p);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        const m = (e as Error).message;
        expect(m).not.toMatch(/\n/);
        expect(m.startsWith(`${p}:`)).toBe(true);
        // a located error names a line that exists
        const at = /^[^:]+:(\d+)(?::(\d+))?: /.exec(m);
        if (at && !/empty/.test(m)) expect(Number(at[1])).toBeLessThanOrEqual(bytes.toString('latin1').split('\n').length);
        else expect(m).toMatch(/: the file is empty$/);
        return;
      }
      const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\ufeff/, '');
      expect(lines.join('\n')).toBe(text.replace(/\r?\n$/, '').split('\n').map((l) => l.replace(/\r$/, '')).join('\n'));
      expect(bytes.includes(0)).toBe(false);
    }),
    { numRuns: 600 },
  );
});

test('property: decodeText never throws anything but a UserError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try {
        decodeText(b, 'x');
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
      }
    }),
    { numRuns: 1000 },
  );
});
