/**
 * Checking the paths a command will write BEFORE it does any work, and making
 * directories safely.
 *
 * Every CLI output (`rnn-train --out DIR` and `--report FILE`, `rnn-export --out FILE`,
 * `rnn-diagnose --out FILE`, `rnn-predict --plot FILE`) is checked at start with
 * `checkOutputDir` / `checkOutputFile`: the path is not the wrong kind (a file where a
 * directory is needed or the reverse), its nearest existing ancestor is a writable
 * directory (so the missing levels can be made), it is not on a pseudo-filesystem
 * (/proc, /sys, /dev), and a file has one of the accepted extensions. A failure is a
 * `UserError` with exit code 2 (bad usage) whose one line names the option and path.
 *
 * `makeDirs` replaces `fs.mkdirSync(dir, { recursive: true })`: Node's recursive mkdir
 * spins at 100% CPU under /proc (mkdir there fails with ENOENT forever), so
 * directories are made one level at a time and pseudo-filesystems are refused.
 *
 *   checkOutputDir('runs/sentiment', { option: '--out' });
 *   checkOutputFile('report.html', { option: '--report', extensions: ['.html'] });
 *   makeDirs('runs/sentiment/last');
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../errors';

/** Exit code of a bad output path: it is a bad option value (usage). */
const USAGE = 2;

/** What the checks name in their messages. */
export interface OutputPathOptions {
  /** The option that gave the path, e.g. '--out' (messages start with `--out PATH: `). */
  option?: string;
  /** What goes there, for the messages, e.g. 'the checkpoints' or 'the HTML report'. */
  what?: string;
}

/** Options of a file output. */
export interface OutputFileOptions extends OutputPathOptions {
  /** Accepted extensions, lower case with the dot (e.g. ['.svg', '.html', '.htm']); any when omitted. */
  extensions?: readonly string[];
}

/** Mount types whose directories are not storage (writes there fail, and recursive mkdir loops). */
const PSEUDO_TYPES = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'debugfs', 'tracefs', 'securityfs',
  'pstore', 'bpf', 'configfs', 'fusectl', 'mqueue', 'binfmt_misc', 'efivarfs', 'autofs', 'nsfs',
]);

let mounts: { point: string; type: string }[] | null = null;

/** Mount points and their types from /proc/self/mountinfo (empty off Linux), longest first. */
function mountTable(): { point: string; type: string }[] {
  if (mounts) return mounts;
  mounts = [];
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      // id parent major:minor root mountpoint options ... - fstype source superoptions
      const f = line.split(' ');
      const dash = f.indexOf('-');
      if (f.length < 5 || dash < 0) continue;
      const point = f[4].replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      mounts.push({ point, type: f[dash + 1] });
    }
  } catch {
    // not Linux: only the path prefixes below apply
  }
  mounts.sort((a, b) => b.point.length - a.point.length);
  return mounts;
}

const under = (p: string, root: string): boolean => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

/**
 * The pseudo-filesystem `p` (an absolute, resolved path) lies on, e.g. '/proc', or
 * null for ordinary storage. /proc, /sys and /dev (except /dev/shm, a tmpfs) always
 * count; elsewhere the mount table decides.
 */
export function pseudoFilesystem(p: string): string | null {
  if (process.platform === 'win32') return null;
  for (const root of ['/proc', '/sys']) if (under(p, root)) return root;
  if (under(p, '/dev') && !under(p, '/dev/shm')) return '/dev';
  const m = mountTable().find((x) => under(p, x.point));
  return m && PSEUDO_TYPES.has(m.type) ? `${m.point} (${m.type})` : null;
}

/** `--out PATH: ` or `PATH: `. */
function subject(p: string, o: OutputPathOptions): string {
  return o.option ? `${o.option} ${p}: ` : `${p}: `;
}

/** lstat that returns null for a missing path (and for a path through a non-directory). */
function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * The nearest ancestor of `abs` (itself included) that exists, and the levels below
 * it that must be made. Throws when that ancestor is not a directory.
 */
function existingAncestor(abs: string, shown: string, o: OutputPathOptions): { dir: string; missing: string[] } {
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    const st = statOrNull(p);
    if (st) {
      if (!st.isDirectory()) {
        const rel = path.relative(process.cwd(), p) || p;
        throw new UserError(`${subject(shown, o)}${rel.startsWith('..') ? p : rel} is a file, not a directory, so it cannot hold ${missing.length ? path.join(...missing) : 'anything'}`, USAGE);
      }
      return { dir: p, missing };
    }
    const up = path.dirname(p);
    if (up === p) return { dir: p, missing };
    missing.unshift(path.basename(p));
    p = up;
  }
}

function checkWritable(dir: string, shown: string, o: OutputPathOptions, made: boolean): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'is on a read-only filesystem' : 'is not writable';
    throw new UserError(`${subject(shown, o)}${made ? `cannot be created: ${dir} ${why}` : `the directory ${dir} ${why}`}`, USAGE);
  }
}

function checkPseudo(abs: string, shown: string, o: OutputPathOptions): void {
  const fsName = pseudoFilesystem(abs);
  if (fsName) throw new UserError(`${subject(shown, o)}is on the ${fsName} pseudo-filesystem, which does not store files; choose a path on a disk`, USAGE);
}

/**
 * Checks a directory a command will create or fill (e.g. rnn-train's --out, which
 * receives OUT/last and OUT/best). Returns the absolute path. Nothing is created.
 */
export function checkOutputDir(dir: string, o: OutputPathOptions = {}): string {
  if (typeof dir !== 'string' || dir.trim() === '') throw new UserError(`${o.option ?? 'output directory'}: an empty path`, USAGE);
  const abs = path.resolve(dir);
  checkPseudo(abs, dir, o);
  const st = statOrNull(abs);
  if (st && !st.isDirectory()) throw new UserError(`${subject(dir, o)}is a file, not a directory${o.what ? ` (${o.what} go in a directory)` : ''}`, USAGE);
  const { dir: base, missing } = existingAncestor(abs, dir, o);
  checkPseudo(fs.realpathSync(base), dir, o);
  checkWritable(base, dir, o, missing.length > 0);
  return abs;
}

/**
 * Checks a file a command will write (replaced atomically: a temporary in the same
 * directory, then a rename). Returns the absolute path. Nothing is created.
 */
export function checkOutputFile(file: string, o: OutputFileOptions = {}): string {
  if (typeof file !== 'string' || file.trim() === '') throw new UserError(`${o.option ?? 'output file'}: an empty path`, USAGE);
  if (o.extensions && o.extensions.length) {
    const ext = path.extname(file).toLowerCase();
    if (!o.extensions.includes(ext)) {
      const list = o.extensions.length === 1 ? o.extensions[0] : `${o.extensions.slice(0, -1).join(', ')} or ${o.extensions[o.extensions.length - 1]}`;
      throw new UserError(`${subject(file, o)}${o.what ?? 'the file'} is written as ${list}${ext ? `, not ${ext}` : ' (the name has no extension)'}`, USAGE);
    }
  }
  const abs = path.resolve(file);
  if (/[/\\]$/.test(file)) throw new UserError(`${subject(file, o)}names a directory; give a file name`, USAGE);
  checkPseudo(abs, file, o);
  const st = statOrNull(abs);
  if (st?.isDirectory()) throw new UserError(`${subject(file, o)}is a directory; give a file name (e.g. ${path.join(file, `out${o.extensions?.[0] ?? ''}`)})`, USAGE);
  if (st && !st.isFile()) throw new UserError(`${subject(file, o)}exists and is not a regular file`, USAGE);
  const { dir: base, missing } = existingAncestor(path.dirname(abs), file, o);
  checkPseudo(fs.realpathSync(base), file, o);
  checkWritable(base, file, o, missing.length > 0);
  return abs;
}

/**
 * Makes `dir` and its missing parents one level at a time (what
 * `fs.mkdirSync(dir, { recursive: true })` does, without its endless loop under
 * /proc). Refuses pseudo-filesystems; an existing directory is fine.
 */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const { dir: base, missing } = existingAncestor(abs, dir, {});
  if (missing.length === 0) return;
  checkPseudo(abs, dir, {});
  checkPseudo(fs.realpathSync(base), dir, {});
  let p = base;
  for (const level of missing) {
    p = path.join(p, level);
    try {
      fs.mkdirSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statOrNull(p)?.isDirectory()) continue;
      const why = code === 'EEXIST' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only filesystem' : code ?? (e as Error).message;
      throw new UserError(`${dir}: cannot create the directory ${p} (${why})`, 1);
    }
  }
}
