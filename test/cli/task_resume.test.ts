/**
 * Every registered task, with its default options (weight averaging included)
 * on a tiny slice of data: interrupted after a few steps and resumed from
 * OUT/last, it ends with the same weights as an uninterrupted run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getTask } from '../../tasks';
import { useBackend } from '../helpers/backends';
import { straightAndResumed } from '../helpers/task_resume';
import { sentimentSlice } from '../helpers/sentiment_data';

const root = path.resolve(__dirname, '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-task-resume-'));

beforeAll(async () => useBackend('wasm'));


/** The first lines of the bundled dates translation data as train/dev/test TSV files. */
function datesSlice(): string {
  const d = tmp();
  for (const [name, n] of [['train', 96], ['dev', 16], ['test', 16]] as const) {
    const lines = fs.readFileSync(path.join(root, 'data', 'translate', `${name}.tsv`), 'utf8').split('\n').slice(0, n);
    fs.writeFileSync(path.join(d, `${name}.tsv`), lines.join('\n') + '\n');
  }
  return d;
}

/** Per task: tiny data and sizes; everything else (ema, lr, schedule, dropout...) is the task's default. */
const TINY: Record<string, () => Record<string, unknown>> = {
  sentiment: () => ({ data: sentimentSlice(160, 40, 40), pretrained: 'none', hidden: 8, embeddingDim: 8, epochs: 2, patience: 0 }),
  // (pos, timeseries and charlm have theirs in their own test files, on their own small data.)
  translate: () => ({ data: datesSlice(), hidden: 8, embeddingDim: 8, batchSize: 16, epochs: 2, patience: 0, beamSize: 1, examples: 0 }),
};

for (const [name, config] of Object.entries(TINY)) {
  test(`${name}: defaults, interrupted after 3 steps and resumed = uninterrupted`, async () => {
    const task = (await getTask(name))!;
    const { weights } = await straightAndResumed(task, config(), 3);
    expect(weights[1]).toEqual(weights[0]);
  });
}
