/**
 * The import rules (.dependency-cruiser.js, run by `npm run lint:deps` in .ci/run):
 * this repository passes them, and a tree that breaks them fails with one line
 * per broken rule — a src/ file importing tasks/, a layers/ file importing src/
 * or a Node built-in, tasks/ reaching into the engine's inner files, package code
 * importing test/, and an import cycle.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const check = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'scripts', 'check-deps.mjs'), ...args], { cwd: root, encoding: 'utf8' });

test('this repository keeps the import rules (floors, no cycles, no test code in the package)', () => {
  const r = check();
  expect(r.stdout).toMatch(/lint:deps: \d+ modules, \d+ dependencies, 0 violations/);
  expect(r.status).toBe(0);
}, 60000);

test('a src/ file importing tasks/ (and the other broken rules) fails the check, naming the rule and the files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-deps-'));
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  write('layers/cell.ts', "export const cell = 1;\n");
  write('layers/uses_src.ts', "import { run } from '../src/engine';\nimport * as fs from 'fs';\nexport const x = run + fs.constants.F_OK;\n");
  write('src/engine.ts', "import { cell } from '../layers/cell';\nexport const run = cell;\n");
  write('src/train/index.ts', "export { step } from './step';\n");
  write('src/train/step.ts', "export const step = 1;\n");
  write('src/uses_task.ts', "import { task } from '../tasks/demo';\nexport const t = task;\n");
  write('src/uses_test.ts', "import { helper } from '../test/helpers/h';\nexport const h = helper;\n");
  write('test/helpers/h.ts', "export const helper = 1;\n");
  write('tasks/demo/index.ts', "import { step } from '../../src/train/step';\nimport { run } from '../../src/engine';\nexport const task = step + run;\n");
  write('cli/a.ts', "import { b } from './b';\nexport const a = 1;\nexport const ab = b;\n");
  write('cli/b.ts', "import { a } from './a';\nexport const b = a;\n");
  try {
    const r = check('--root', dir);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'src-not-up: src/uses_task.ts → tasks/demo/index.ts',
        'layers-import-only-tfjs: layers/uses_src.ts → src/engine.ts',
        'layers-import-only-tfjs: layers/uses_src.ts → fs',
        'no-test-code-in-the-package: src/uses_test.ts → test/helpers/h.ts',
      ]),
    );
    expect(lines.some((l) => /^no-circular: cli\/(a|b)\.ts → cli\/(a|b)\.ts → cli\/(a|b)\.ts$/.test(l))).toBe(true);
    expect(lines).toContain('tasks-use-the-engine-index: tasks/demo/index.ts → src/train/step.ts');
    expect(lines[lines.length - 1]).toMatch(/lint:deps: \d+ modules, \d+ dependencies, [1-9]\d* violations/);
    expect(r.status).toBe(1);
    // the same tree without the upward import passes that rule
    fs.rmSync(path.join(dir, 'src/uses_task.ts'));
    expect(check('--root', dir).stdout).not.toMatch(/src-not-up/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);
