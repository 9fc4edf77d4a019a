/**
 * Every registered task, with its default options (weight averaging included)
 * on a tiny slice of data: interrupted after a few steps and resumed from
 * OUT/last, it ends with the same weights as an uninterrupted run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getTask } from '../tasks';
import { useBackend } from './helpers/backends';
import { straightAndResumed } from './helpers/task_resume';

const root = path.resolve(__dirname, '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-task-resume-'));

beforeAll(async () => useBackend('wasm'));

/** The first lines of a bundled TSV as train/dev/test files. */
function sentimentSlice(): string {
  const d = tmp();
  const src = fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(d, 'train.tsv'), src.slice(0, 161).join('\n'));
  fs.writeFileSync(path.join(d, 'dev.tsv'), [src[0], ...src.slice(161, 201)].join('\n'));
  fs.writeFileSync(path.join(d, 'test.tsv'), [src[0], ...src.slice(201, 241)].join('\n'));
  return d;
}

/** Per task: tiny data and sizes; everything else (ema, lr, schedule, dropout...) is the task's default. */
const TINY: Record<string, () => Record<string, unknown>> = {
  sentiment: () => ({ data: sentimentSlice(), pretrained: 'none', hidden: 8, embeddingDim: 8, epochs: 2, patience: 0 }),
};

for (const [name, config] of Object.entries(TINY)) {
  test(`${name}: defaults, interrupted after 3 steps and resumed = uninterrupted`, async () => {
    const task = (await getTask(name))!;
    const { weights } = await straightAndResumed(task, config(), 3);
    expect(weights[1]).toEqual(weights[0]);
  });
}
