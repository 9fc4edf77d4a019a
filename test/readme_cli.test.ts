/** The README's CLI reference is what the task registry says (regenerate with `npm run docs`). */
import * as fs from 'fs';
import * as path from 'path';
import { cliReference, DOCS_BEGIN, DOCS_END, replaceReference } from '../cli/docs';
import { taskNames } from '../tasks';

test('README.md holds the generated CLI reference of every registered task, unchanged', async () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const block = await cliReference();
  const current = readme.slice(readme.indexOf(DOCS_BEGIN), readme.indexOf(DOCS_END) + DOCS_END.length);
  // A failure here means an option, default or help text changed: run `npm run build && npm run docs`.
  expect(current).toBe(block);
  for (const name of taskNames()) expect(block).toContain(`#### \`--task ${name}\``);
  expect(block).toContain('| `--batch-size <n>` | examples per batch |');
});

test('replaceReference swaps exactly the marked block and refuses a README without markers', () => {
  const text = `a\n${DOCS_BEGIN}\nold\n${DOCS_END}\nb`;
  expect(replaceReference(text, `${DOCS_BEGIN}\nnew\n${DOCS_END}`)).toBe(`a\n${DOCS_BEGIN}\nnew\n${DOCS_END}\nb`);
  expect(() => replaceReference('no markers', 'x')).toThrow(/markers of the generated CLI reference are missing/);
});
