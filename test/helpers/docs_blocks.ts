/**
 * The documentation as tests see it: README.md and every docs/**\/*.md file, their
 * ```ts code blocks and a runner that executes one as a user would, and the
 * relative links and repository paths they name (test/docs/ uses all three).
 *
 * Running a block: `import ... from 'rnnkit'` (and 'rnnkit/layers',
 * 'rnnkit/tasks', 'rnnkit/tasks/<name>') resolve to this repository's sources,
 * top-level await works, and the backend is the test's (`selectBackend` is replaced
 * by one that selects it; everything else in the package is the real thing).
 *
 * Fences: ```ts (or ```typescript) blocks run; ```ts no-run marks the rare block
 * that cannot (say why in the text next to it).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { useBackend } from './backends';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface DocBlock {
  /** The markdown file, relative to the repository root ('README.md', 'docs/onnx.md'). */
  file: string;
  /** The heading the block is under (#, ##, ### or ####). */
  section: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The block's code. */
  code: string;
  /** Marked `no-run`. */
  noRun: boolean;
}

/** README.md, then every .md file under docs/ (sorted), relative to the root. */
export function docFiles(root = ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  if (fs.existsSync(path.join(root, 'docs'))) walk('docs');
  return ['README.md', ...out];
}

interface Fence {
  /** 0-based lines of the opening and closing fence. */
  start: number;
  end: number;
  lang: string;
  rest: string;
}

/** The fenced code blocks of a markdown text (throws on a fence that is never closed). */
function fences(file: string, lines: string[]): Fence[] {
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*(\S*)(.*)$/.exec(lines[i]);
    if (!fence) continue;
    const [, , marks, lang, rest] = fence;
    const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(marks) && l.trim().replace(/[`~]/g, '') === '');
    if (end < 0) throw new Error(`${file}:${i + 1}: code fence is never closed`);
    out.push({ start: i, end, lang, rest });
    i = end;
  }
  return out;
}

/** Every TypeScript block of one markdown file (relative to the root), in order. */
export function docBlocks(file: string, root = ROOT): DocBlock[] {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  let section = '(top)';
  let from = 0;
  for (const f of fences(file, lines)) {
    for (let i = from; i < f.start; i++) {
      const heading = /^#{1,4}\s+(.*)$/.exec(lines[i]);
      if (heading) section = heading[1].trim();
    }
    from = f.end + 1;
    if (f.lang === 'ts' || f.lang === 'typescript') {
      blocks.push({ file, section, line: f.start + 1, code: lines.slice(f.start + 1, f.end).join('\n'), noRun: /\bno-run\b/.test(f.rest) });
    }
  }
  return blocks;
}

/** Every TypeScript block of README.md and docs/, in file order. */
export function allDocBlocks(root = ROOT): DocBlock[] {
  return docFiles(root).flatMap((f) => docBlocks(f, root));
}

/** A markdown text's lines outside code fences, as [1-based line, text]. */
function prose(file: string, text: string): Array<[number, string]> {
  const lines = text.split('\n');
  const inFence = new Set<number>();
  for (const f of fences(file, lines)) for (let i = f.start; i <= f.end; i++) inFence.add(i);
  return lines.map((l, i) => [i + 1, l] as [number, string]).filter(([n]) => !inFence.has(n - 1));
}

/** GitHub's anchor of a heading: rendered text, lowercased, punctuation dropped, spaces → '-'. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown text's headings (duplicates numbered -1, -2, ... as GitHub does). */
export function anchors(file: string, text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, l] of prose(file, text)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!h) continue;
    const slug = headingSlug(h[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

/**
 * The broken relative links of one markdown file: `[text](target)` and
 * `![alt](target)` outside code (fences and `inline code`) whose file does not
 * exist, or whose `#anchor` is no heading of the target. Links with a scheme
 * (https:, mailto:) are not checked. Returns `file:line: message` strings.
 */
export function brokenLinks(file: string, root = ROOT, read = (f: string): string => fs.readFileSync(path.join(root, f), 'utf8')): string[] {
  const text = read(file);
  const problems: string[] = [];
  for (const [n, line] of prose(file, text)) {
    const plain = line.replace(/`[^`]*`/g, '``');
    for (const m of plain.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [p, anchor] = target.split('#', 2) as [string, string | undefined];
      const rel = p === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURIComponent(p)));
      if (rel.startsWith('..')) {
        problems.push(`${file}:${n}: link ${target} leaves the repository`);
        continue;
      }
      if (!fs.existsSync(path.join(root, rel))) {
        problems.push(`${file}:${n}: link ${target}: ${rel} does not exist`);
        continue;
      }
      if (anchor !== undefined && rel.endsWith('.md') && !anchors(rel, read(rel)).has(anchor)) {
        problems.push(`${file}:${n}: link ${target}: ${rel} has no heading #${anchor}`);
      }
    }
  }
  return problems;
}

/** Top-level folders whose paths the docs name in `inline code`. */
const REPO_DIRS = ['bin', 'bench', 'cli', 'data', 'docs', 'layers', 'scripts', 'src', 'tasks', 'test'];

/**
 * The repository paths a markdown file names in `inline code` (each
 * whitespace-separated word that starts with one of REPO_DIRS and a '/', outside
 * code fences) that do not exist. Patterns (`tasks/<name>/`, `bench/task_*.js`,
 * `{a,b}`) are skipped. Returns `file:line: message` strings.
 */
export function missingPaths(file: string, root = ROOT): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const problems: string[] = [];
  const start = new RegExp(`^(${REPO_DIRS.join('|')})/[\\w./-]*$`);
  for (const [n, line] of prose(file, text)) {
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      for (const word of m[1].split(/\s+/)) {
        const w = word.replace(/[,;:)]+$/, '');
        if (!start.test(w) || /[<>*{}]|\.\.\./.test(w)) continue;
        if (!fs.existsSync(path.join(root, w))) problems.push(`${file}:${n}: \`${w}\` does not exist`);
      }
    }
  }
  return problems;
}

/** Where a package specifier of rnnkit points in this repository. */
function resolveRnnkit(spec: string): string | null {
  if (spec === 'rnnkit') return path.join(ROOT, 'src');
  const m = /^rnnkit\/(.+)$/.exec(spec);
  return m ? path.join(ROOT, m[1].replace(/^dist\//, '')) : null;
}

/**
 * Runs a block on `backend`, in a fresh temporary working directory (relative
 * paths such as `runs/x` land there). `epilogue` is code appended after the block
 * (in its scope), e.g. `return { model };` to hand its variables to the test.
 */
export async function runBlock(block: DocBlock, backend: string, epilogue = ''): Promise<unknown> {
  const cwd = process.cwd();
  process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-docs-')));
  try {
    return await runIn(block, backend, epilogue);
  } finally {
    process.chdir(cwd);
  }
}

async function runIn(block: DocBlock, backend: string, epilogue: string): Promise<unknown> {
  await useBackend(backend);
  const where = `${block.file}:${block.line}`;
  const source = `${block.code}\n${epilogue}`;
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    reportDiagnostics: true,
    fileName: `${where}.ts`,
  });
  // 1378: top-level await, 1108: top-level return (both fine inside the async wrapper below).
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 1378 && d.code !== 1108);
  if (errors.length) throw new Error(`${where}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, '\n')}`);
  const req = (spec: string): unknown => {
    const local = resolveRnnkit(spec);
    if (!local) return require(spec);
    const mod = require(local) as Record<string, unknown>;
    if (spec !== 'rnnkit') return mod;
    return { ...mod, selectBackend: async () => (await useBackend(backend), backend) };
  };
  const exportsObj = {};
  // The block's body inside an async function: top-level await and `return` work.
  const fn = new Function('require', 'exports', 'module', `return (async () => {\n${out.outputText}\n})();`);
  return fn(req, exportsObj, { exports: exportsObj });
}
