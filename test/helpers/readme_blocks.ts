/**
 * The ```ts code blocks of README.md, and a runner that executes one as a user
 * would: `import ... from 'rnnkit'` (and 'rnnkit/layers', 'rnnkit/tasks/<name>')
 * resolve to this repository's sources, top-level await works, and the backend is
 * the test's (`selectBackend` is replaced by one that selects it; everything else
 * in the package is the real thing).
 *
 * Fences: ```ts (or ```typescript) blocks run; ```ts no-run marks the rare block
 * that cannot (say why in the README text next to it).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { useBackend } from './backends';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface ReadmeBlock {
  /** The heading the block is under (## or ###). */
  section: string;
  /** 1-based line of the opening fence in README.md. */
  line: number;
  /** The block's code. */
  code: string;
  /** Marked `no-run`. */
  noRun: boolean;
}

/** Every TypeScript block of README.md, in order. */
export function readmeBlocks(file = path.join(ROOT, 'README.md')): ReadmeBlock[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks: ReadmeBlock[] = [];
  let section = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,4}\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1].trim();
    const fence = /^(\s*)(`{3,}|~{3,})\s*(\S*)(.*)$/.exec(lines[i]);
    if (!fence) continue;
    const [, , marks, lang, rest] = fence;
    const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(marks) && l.trim().replace(/[`~]/g, '') === '');
    if (end < 0) throw new Error(`README.md:${i + 1}: code fence is never closed`);
    if (lang === 'ts' || lang === 'typescript') {
      blocks.push({ section, line: i + 1, code: lines.slice(i + 1, end).join('\n'), noRun: /\bno-run\b/.test(rest) });
    }
    i = end;
  }
  return blocks;
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
export async function runBlock(block: ReadmeBlock, backend: string, epilogue = ''): Promise<unknown> {
  const cwd = process.cwd();
  process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-readme-')));
  try {
    return await runIn(block, backend, epilogue);
  } finally {
    process.chdir(cwd);
  }
}

async function runIn(block: ReadmeBlock, backend: string, epilogue: string): Promise<unknown> {
  await useBackend(backend);
  const source = `${block.code}\n${epilogue}`;
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    reportDiagnostics: true,
    fileName: `README.md:${block.line}.ts`,
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 1378 && d.code !== 1108);
  if (errors.length) throw new Error(`README.md:${block.line}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, '\n')}`);
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
