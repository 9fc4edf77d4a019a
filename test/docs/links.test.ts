/**
 * The docs a reader navigates: README.md stays short with a table of contents, and
 * every relative link of README.md and docs/**\/*.md (files, images, #anchors) and
 * every repository path they name in `inline code` exists. The checkers come from
 * ../helpers/docs_blocks.ts; the first tests show they catch what they should.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { anchors, brokenLinks, docFiles, headingSlug, missingPaths, ROOT } from '../helpers/docs_blocks';

test('headingSlug makes GitHub anchors', () => {
  expect(headingSlug('Set up')).toBe('set-up');
  expect(headingSlug('Both cores in training: `--workers n`')).toBe('both-cores-in-training---workers-n');
  expect(headingSlug('Results on Multi30k German → English')).toBe('results-on-multi30k-german--english');
  expect(headingSlug("Training tfjs's own layers on wasm")).toBe('training-tfjss-own-layers-on-wasm');
  expect([...anchors('x.md', '# A\n## B\n```\n# not a heading\n```\n## B\n')]).toEqual(['a', 'b', 'b-1']);
});

test('brokenLinks and missingPaths report a missing file, a missing anchor, a missing named path', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-links-'));
  fs.mkdirSync(path.join(root, 'docs', 'tasks'), { recursive: true });
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'src', 'task.ts'), '');
  fs.writeFileSync(path.join(root, 'docs', 'a.md'), '# A\n## Good part\n');
  fs.writeFileSync(
    path.join(root, 'docs', 'tasks', 'b.md'),
    [
      '# B',
      'ok: [a](../a.md), [part](../a.md#good-part), [self](#b), [web](https://example.com/x.md), `[not](a/link.md)`',
      'bad: [gone](../gone.md) and [anchor](../a.md#bad-part)',
      '```',
      '[in a fence](nowhere.md) `src/nothing.ts`',
      '```',
      'paths: `src/task.ts`, `tasks/<name>/index.ts`, `npx x --out src/missing.ts`',
    ].join('\n'),
  );
  expect(docFiles(root)).toEqual(['README.md', 'docs/a.md', 'docs/tasks/b.md']);
  expect(brokenLinks('docs/tasks/b.md', root)).toEqual([
    'docs/tasks/b.md:3: link ../gone.md: docs/gone.md does not exist',
    'docs/tasks/b.md:3: link ../a.md#bad-part: docs/a.md has no heading #bad-part',
  ]);
  expect(missingPaths('docs/tasks/b.md', root)).toEqual(['docs/tasks/b.md:7: `src/missing.ts` does not exist']);
});

test('README.md is at most 400 lines and opens with a table of contents of its sections', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme.split('\n').length).toBeLessThanOrEqual(400);
  const sections = readme.split('\n').filter((l) => /^## /.test(l)).map((l) => headingSlug(l.slice(3)));
  const contents = readme.slice(0, readme.indexOf('\n## '));
  for (const s of sections) expect(contents).toContain(`](#${s})`);
});

describe.each(docFiles().map((f) => [f]))('%s', (file) => {
  test('every relative link and image points to an existing file and heading', () => {
    expect(brokenLinks(file)).toEqual([]);
  });
  test('every repository path it names exists', () => {
    expect(missingPaths(file)).toEqual([]);
  });
});
