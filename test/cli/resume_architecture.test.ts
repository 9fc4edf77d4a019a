/**
 * Every task declares the options its checkpoints fix (Task.architectureOptions), and
 * rnn-train's start check (cli/preflight.ts checkResumable) refuses a --resume that
 * changes any of them, naming the flag, the checkpoint's value and the given one.
 * The checkpoints hold each task's whole default config where the tasks write theirs
 * (config.json's `task`, artifacts.json's `config`); the real runs of the kill -9
 * test (test/cli/kill_resume.test.ts) check one option per task through the CLI.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { checkResumable } from '../../cli/preflight';
import type { Task, TaskOption } from '../../src/task';
import { saveCheckpoint, TrainingState } from '../../src/train/checkpoint';
import { CheckpointMismatchError } from '../../src/train/errors';
import { getTask, taskNames } from '../../tasks';
import { useBackend } from '../helpers/backends';

const TASKS = ['sentiment', 'pos', 'charlm', 'translate', 'timeseries', 'word2vec', 'nextframe', 'caption'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-arch-'));
const state: TrainingState = {
  epoch: 1, step: 0, globalStep: 2, seed: 1, metric: null, mode: 'min', best: null, bestEpoch: -1, bestDev: {}, bad: 0,
  referenceLoss: 1, epochLossSum: 0, epochSteps: 0, schedule: { factor: 1, best: null, bad: 0 } as TrainingState['schedule'], history: [],
};

/** A value the checkpoint holds for an option the defaults leave open (e.g. timeseries' --target). */
function savedValue(o: TaskOption, v: unknown): unknown {
  if (v !== undefined && v !== null) return v;
  return o.type === 'list' ? ['a'] : o.type === 'int' || o.type === 'number' ? 2 : o.type === 'boolean' ? false : o.type === 'choice' ? o.choices![0] : 'saved';
}

/** A value the user types that differs from the checkpoint's, as commander hands it over. */
function otherValue(o: TaskOption, v: unknown): unknown {
  switch (o.type) {
    case 'int': return (v as number) + 1;
    case 'number': return (v as number) + 0.5;
    case 'boolean': return !v;
    case 'choice': return o.choices!.find((c) => c !== v);
    case 'list': return [...(v as unknown[]).map(String), '7'];
    default: return `${String(v)}-other`;
  }
}

const kebab = (k: string): string => `--${k.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
const shown = (v: unknown): string => (Array.isArray(v) ? v.join(',') : String(v));

beforeAll(async () => useBackend('cpu'));

test('the registry holds the eight tasks this test covers', () => {
  expect([...taskNames()].sort()).toEqual([...TASKS].sort());
});

describe.each(TASKS)('%s', (name) => {
  let task: Task;
  const dir = path.join(tmp, name);
  let saved: Record<string, unknown>;

  beforeAll(async () => {
    task = (await getTask(name)) as Task;
    const byKey = new Map(task.options.map((o) => [o.key, o]));
    saved = { ...(task.defaults as Record<string, unknown>) };
    for (const k of task.architectureOptions) saved[k] = savedValue(byKey.get(k)!, saved[k]);
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    // config.json's `task` as the engine writes it (timeseries keeps its config only there), artifacts' `config` as the tasks do
    await saveCheckpoint(dir, { model: m, optimizer: null, training: state, artifacts: { task: name, ...(name === 'timeseries' ? {} : { config: saved }) }, config: { task: saved } });
    m.dispose();
  });

  test('declares architecture options that are its own options', () => {
    expect(task.architectureOptions.length).toBeGreaterThan(0);
    const keys = task.options.map((o) => o.key);
    for (const k of task.architectureOptions) expect(keys).toContain(k);
  });

  test('resume with each one changed names the option, the checkpoint value and the given one', () => {
    const byKey = new Map(task.options.map((o) => [o.key, o]));
    for (const k of task.architectureOptions) {
      const given = otherValue(byKey.get(k)!, saved[k]);
      let err: unknown;
      try {
        checkResumable(dir, task, { [k]: given, lr: 0.5 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointMismatchError);
      const f = kebab(k);
      expect((err as Error).message).toBe(
        `${f} ${shown(given)} does not match the checkpoint ${dir}, trained with ${f} ${shown(saved[k])}: resume with ${f} ${shown(saved[k])}, or start a new run without --resume`,
      );
    }
  });

  test('the same values (as the CLI types them), or options outside the list, resume', () => {
    const same = Object.fromEntries(task.architectureOptions.map((k) => [k, Array.isArray(saved[k]) ? (saved[k] as unknown[]).map(String) : saved[k]]));
    expect(() => checkResumable(dir, task, { ...same, lr: 0.5, epochs: 99 })).not.toThrow();
  });
});
