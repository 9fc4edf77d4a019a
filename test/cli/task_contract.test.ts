/**
 * The task contract through the real CLI (child processes on dist/): a plug-in
 * task registered with RNNKIT_TASKS gets its own help, option validation,
 * training with the common output and summary, and rnn-predict dispatch by the
 * checkpoint's task, with no change to the CLI.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const env = { ...process.env, RNNKIT_TASKS: path.join(__dirname, '..', 'fixtures', 'fake_task.js') };

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function run(bin: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

test('per-task help lists the common options and the task\'s own, with the task\'s defaults', () => {
  const h = run(TRAIN, ['--task', 'fakesum', '--help']);
  expect(h.code).toBe(0);
  expect(h.out).toMatch(/--hidden <n>\s+LSTM units \(default: 8\)/);
  expect(h.out).toMatch(/--length <n>\s+sequence length \(default: 6\)/);
  expect(h.out).toMatch(/--epochs <n>\s+maximum epochs \(default: 3\)/);
  expect(h.out).toMatch(/--lr <rate>\s+learning rate \(default: 0\.01\)/);
  expect(h.out).toMatch(/\$ rnn-train --task fakesum --hidden 4/);
  expect(h.out).not.toMatch(/--pooling/); // sentiment's, not this task's
  const s = run(TRAIN, ['--task', 'sentiment', '--help']);
  expect(s.out).toMatch(/--pooling <last\|max\|mean>.*\(default: max\)/);
  expect(s.out).toMatch(/--lr <rate>\s+learning rate \(default: 0\.002\)/);
  expect(s.out).not.toMatch(/--length/);
  const general = run(TRAIN, ['--help']);
  expect(general.code).toBe(0);
  expect(general.out).toMatch(/sentiment\s+text classification/);
  expect(general.out).toMatch(/fakesum\s+toy regression/);
});

test('per-task option validation: bounds, choices, and options of other tasks', () => {
  const cases: [string[], RegExp][] = [
    [['--length', '1'], /--length must be an integer ≥ 2 and ≤ 50/],
    [['--length', '2.5'], /--length must be an integer/],
    [['--shape', 'round'], /Allowed choices are flat, deep/],
    [['--pooling', 'max'], /unknown option '--pooling' \(not an option of task 'fakesum'/],
    [['--lr', '-1'], /--lr must be a number in \[1e-8, 10\]/],
  ];
  for (const [args, msg] of cases) {
    const r = run(TRAIN, ['--task', 'fakesum', ...args]);
    expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
    expect(r.err).toMatch(msg);
  }
});

test('a plug-in task trains end to end through the CLI, and rnn-predict dispatches on its checkpoint', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-contract-'));
  const r = run(TRAIN, ['--task', 'fakesum', '--hidden', '4', '--epochs', '2', '--out', out, '--backend', 'cpu', '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const events = r.lines.map((l) => JSON.parse(l));
  expect(events[0]).toMatchObject({ event: 'start', task: 'fakesum', backend: 'cpu', config: { hidden: 4, length: 6, epochs: 2, lr: 0.01 } });
  expect(events.some((e) => e.event === 'note' && /64 training sequences/.test(e.message))).toBe(true);
  expect(events.filter((e) => e.event === 'epoch')).toHaveLength(2);
  const summary = events[events.length - 1];
  expect(summary).toMatchObject({ event: 'summary', task: 'fakesum', backend: 'cpu', fake: true, epochs: 2, model: path.join(out, 'best') });
  expect(Object.keys(summary.metrics)).toEqual(['dev']);
  expect(summary.metrics.dev.mse).toBeGreaterThan(0);

  const p = run(PREDICT, ['--model', path.join(out, 'best'), '--scale', '2', '0.1,0.2,0.3,0,0,0']);
  expect(p.err).toMatch(/^rnn-predict: backend (tensorflow|wasm|cpu)\n$/);
  expect(p.code).toBe(0);
  expect(p.lines).toHaveLength(1);
  expect(p.lines[0]).toMatch(/^-?\d+\.\d{4}$/);
  // The predict option reached the task: scale 0 gives the model's output for a zero sequence, a different number.
  const zero = run(PREDICT, ['--model', path.join(out, 'best'), '--scale', '0', '0.1,0.2,0.3,0,0,0']);
  expect(zero.lines[0]).not.toBe(p.lines[0]);
  // The task's predict options are the task's: another task's option is a usage error.
  const help = run(PREDICT, ['--model', path.join(out, 'best'), '--help']);
  expect(help.out).toMatch(/Predict with a 'fakesum' model\. Input: sequences of numbers/);
  expect(help.out).toMatch(/--scale <x>/);
  expect(run(PREDICT, ['--model', path.join(out, 'best'), '--format', 'conllu', '1,2']).code).toBe(2);

});

(hasScript ? test : test.skip)('on a terminal: the common human summary and the task\'s own report', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-contract-'));
  const cmd = [process.execPath, TRAIN, '--task', 'fakesum', '--hidden', '4', '--epochs', '1', '--out', out, '--backend', 'cpu'].map((s) => `'${s}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: root, env: { ...env, COLUMNS: '160' }, encoding: 'utf8', timeout: 120000 });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/rnn-train: task fakesum, backend cpu, out /);
  expect(r.stdout).toMatch(/epoch 1: loss \d\.\d{4}, dev mse/);
  expect(r.stdout).toMatch(/dev:  mse \d/);
  expect(r.stdout).toMatch(/fakesum report: hidden 4, shape flat/);
  expect(r.stdout).toContain(`model saved in ${path.join(out, 'best')}`);
});

test('rnn-predict on a checkpoint of a task this version does not know says so', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-contract-'));
  expect(run(TRAIN, ['--task', 'fakesum', '--hidden', '4', '--epochs', '1', '--out', out, '--backend', 'cpu', '--json']).code).toBe(0);
  const r = spawnSync(process.execPath, [PREDICT, '--model', path.join(out, 'best'), '1,2,3,4,5,6'], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toMatch(new RegExp(`^rnn-predict: error: ${path.join(out, 'best', 'artifacts.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: task 'fakesum' is not known to this version \\(tasks: sentiment[a-z0-9, ]*\\)$`));
});
