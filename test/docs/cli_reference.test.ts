/** docs/cli.md's command-line reference is what the task registry says (regenerate with `npm run build && npm run docs`). */
import * as fs from 'fs';
import * as path from 'path';
import { cliReference, DOCS_BEGIN, DOCS_END, replaceReference } from '../../cli/docs';
import { taskNames } from '../../tasks';

const ROOT = path.join(__dirname, '..', '..');

test('docs/cli.md holds the generated CLI reference of every registered task, unchanged', async () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8');
  const block = await cliReference();
  expect(doc.indexOf(DOCS_BEGIN)).toBeGreaterThanOrEqual(0);
  const current = doc.slice(doc.indexOf(DOCS_BEGIN), doc.indexOf(DOCS_END) + DOCS_END.length);
  // A failure here means an option, default or help text changed: run `npm run build && npm run docs`.
  expect(current).toBe(block);
  for (const name of taskNames()) expect(block).toContain(`#### \`--task ${name}\``);
  expect(block).toContain('| `--batch-size <n>` | examples per batch |');
});

test('the reference lives in docs/cli.md only: the README links it and holds no copy', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).not.toContain(DOCS_BEGIN);
  expect(readme).toContain('](docs/cli.md)');
  // npm run docs rewrites docs/cli.md.
  expect(fs.readFileSync(path.join(ROOT, 'scripts', 'cli-docs.js'), 'utf8')).toMatch(/'docs', 'cli\.md'/);
});

test('replaceReference swaps exactly the marked block and refuses a file without markers', () => {
  const text = `a\n${DOCS_BEGIN}\nold\n${DOCS_END}\nb`;
  expect(replaceReference(text, `${DOCS_BEGIN}\nnew\n${DOCS_END}`)).toBe(`a\n${DOCS_BEGIN}\nnew\n${DOCS_END}\nb`);
  expect(() => replaceReference('no markers', 'x')).toThrow(/markers of the generated CLI reference are missing/);
});
