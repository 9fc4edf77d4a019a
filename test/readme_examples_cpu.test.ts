/** Every runnable ```ts block of README.md on the cpu backend (wasm: readme_examples.test.ts). */
import { readmeBlocks, runBlock } from './helpers/readme_blocks';

const runnable = readmeBlocks().filter((b) => !b.noRun);

describe.each(runnable.map((b) => [`README.md:${b.line} (${b.section})`, b] as const))('%s', (_name, block) => {
  test('runs on cpu', async () => {
    await runBlock(block, 'cpu');
  }, 600000);
});
