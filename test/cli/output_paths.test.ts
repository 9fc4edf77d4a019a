/**
 * Output-path checks made before any work (src/io/output_paths.ts): the wrong kind
 * of path, a file in the way, pseudo-filesystems (checked without ever calling
 * mkdir there: Node's recursive mkdir loops forever under /proc), bad extensions;
 * and makeDirs, the level-by-level mkdir.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../src/errors';
import { checkOutputDir, checkOutputFile, makeDirs, pseudoFilesystem } from '../../src/io/output_paths';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-out-'));
const aFile = path.join(dir, 'a.txt');
fs.writeFileSync(aFile, 'x');

const refusal = (f: () => unknown): UserError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as UserError;
  }
  throw new Error('expected a refusal');
};

test('directories: new, existing, a file in the way, under a file, pseudo-filesystems', () => {
  expect(checkOutputDir(path.join(dir, 'new', 'deeper'))).toBe(path.join(dir, 'new', 'deeper'));
  expect(fs.existsSync(path.join(dir, 'new'))).toBe(false); // nothing is created
  expect(checkOutputDir(dir)).toBe(dir);
  const e = refusal(() => checkOutputDir(aFile, { option: '--out', what: 'the checkpoints' }));
  expect(e.message).toBe(`--out ${aFile}: is a file, not a directory (the checkpoints go in a directory)`);
  expect(e.exitCode).toBe(2);
  expect(refusal(() => checkOutputDir(path.join(aFile, 'x'), { option: '--out' })).message).toMatch(/a\.txt is a file, not a directory, so it cannot hold x$/);
  for (const p of ['/proc/rnnkit-test', '/proc/self/x/y', '/sys/kernel/rnnkit', '/dev/rnnkit']) {
    expect(refusal(() => checkOutputDir(p, { option: '--out' })).message).toMatch(/pseudo-filesystem, which does not store files/);
  }
  expect(pseudoFilesystem('/dev/shm/x')).toBeNull();
  expect(pseudoFilesystem(dir)).toBeNull();
});

test('not writable: a read-only directory (skipped as root, who may write anywhere)', () => {
  if (process.getuid?.() === 0) return;
  const ro = path.join(dir, 'ro');
  fs.mkdirSync(ro);
  fs.chmodSync(ro, 0o500);
  expect(refusal(() => checkOutputDir(path.join(ro, 'x'), { option: '--out' })).message).toMatch(/cannot be created: .* is not writable/);
  fs.chmodSync(ro, 0o700);
});

test('files: extension, a directory in the way, a missing parent that can be made, trailing slash', () => {
  const ok = path.join(dir, 'reports', 'r.html');
  expect(checkOutputFile(ok, { option: '--report', extensions: ['.html'] })).toBe(ok);
  expect(refusal(() => checkOutputFile(path.join(dir, 'r.txt'), { option: '--report', what: 'the report', extensions: ['.html'] })).message).toBe(
    `--report ${path.join(dir, 'r.txt')}: the report is written as .html, not .txt`,
  );
  expect(refusal(() => checkOutputFile('plot', { option: '--plot', extensions: ['.svg', '.html'] })).message).toBe('--plot plot: the file is written as .svg or .html (the name has no extension)');
  fs.mkdirSync(path.join(dir, 'm.onnx'));
  expect(refusal(() => checkOutputFile(path.join(dir, 'm.onnx'), { option: '--out' })).message).toMatch(/m\.onnx: is a directory; give a file name/);
  expect(refusal(() => checkOutputFile(path.join(aFile, 'r.html'), { option: '--report' })).message).toMatch(/a\.txt is a file, not a directory/);
  expect(refusal(() => checkOutputFile('/proc/r.html', { option: '--report' })).message).toMatch(/\/proc pseudo-filesystem/);
  expect(refusal(() => checkOutputFile(`${dir}/`, {})).message).toMatch(/names a directory/);
});

test('makeDirs makes the levels one by one, accepts an existing directory, refuses /proc quickly', () => {
  const deep = path.join(dir, 'm1', 'm2', 'm3');
  makeDirs(deep);
  expect(fs.statSync(deep).isDirectory()).toBe(true);
  makeDirs(deep);
  const t0 = Date.now();
  expect(refusal(() => makeDirs('/proc/rnnkit/a/b')).message).toMatch(/pseudo-filesystem/);
  expect(() => makeDirs(path.join(aFile, 'x'))).toThrow(/is a file, not a directory/);
  expect(Date.now() - t0).toBeLessThan(1000);
});
