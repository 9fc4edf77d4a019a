/** Every runnable ```ts block of README.md and docs/**\/*.md on the cpu backend (wasm: docs_examples.test.ts). */
import { allDocBlocks, runBlock } from '../helpers/docs_blocks';

const runnable = allDocBlocks().filter((b) => !b.noRun);

describe.each(runnable.map((b) => [`${b.file}:${b.line} (${b.section})`, b] as const))('%s', (_name, block) => {
  test('runs on cpu', async () => {
    await runBlock(block, 'cpu');
  }, 600000);
});
