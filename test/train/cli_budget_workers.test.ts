/**
 * The built CLI with the common options of #22: `--time-budget` stops a run
 * (summary stopped 'time-budget', OUT/last and OUT/best saved) and `--resume`
 * finishes it; `--workers auto` (the default) is printed and recorded in the
 * summary and the checkpoint; bad values are one clear line, exit 2.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-budget-cli-'));
const cli = (args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'bin', 'rnn-train.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });
const lines = (stdout: string): Record<string, unknown>[] => stdout.trim().split('\n').map((l) => JSON.parse(l));

test('rnn-train --time-budget stops, saves and resumes; --workers auto is noted and recorded', () => {
  const d = tmp();
  const src = fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(d, 'train.tsv'), src.slice(0, 97).join('\n'));
  fs.writeFileSync(path.join(d, 'dev.tsv'), [src[0], ...src.slice(97, 129)].join('\n'));
  const out = tmp();
  const common = ['--task', 'sentiment', '--data', d, '--epochs', '2', '--out', out, '--json', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--backend', 'cpu', '--pretrained', 'none'];
  const r = cli([...common, '--time-budget', '1ms']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const events = lines(r.stdout);
  const summary = events[events.length - 1];
  expect(summary).toMatchObject({ event: 'summary', stopped: 'time-budget', workers: 1, epochs: 0 });
  // 'auto' said what it chose and why (sentiment's steps are too short for a second thread:
  // its autoWorkersCap is 1; the short-run rule is tested in workers_auto.test.ts)
  expect(events.some((e) => e.event === 'note' && /^workers 1 \(auto: the steps of task 'sentiment' are too short for a second thread to pay/.test(String(e.message)))).toBe(true);
  const training = JSON.parse(fs.readFileSync(path.join(out, 'last', 'training.json'), 'utf8'));
  expect(training).toMatchObject({ epoch: 0, step: 1, globalStep: 1, workers: 1 });
  expect(fs.existsSync(path.join(out, 'best', 'model.json'))).toBe(true);

  const resumed = cli([...common, '--resume', path.join(out, 'last')]);
  expect(resumed.status).toBe(0);
  const s2 = lines(resumed.stdout).pop() as Record<string, unknown>;
  expect(s2).toMatchObject({ stopped: 'completed', epochs: 2, workers: 1 });
  expect(JSON.parse(fs.readFileSync(path.join(out, 'last', 'training.json'), 'utf8')).globalStep).toBe(12);

  const bad = cli([...common, '--time-budget', 'soon']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--time-budget must be a duration such as 90s, 30m, 2h or 1h30m, got 'soon'/);
  const badWorkers = cli([...common, '--workers', 'many']);
  expect(badWorkers.status).toBe(2);
  expect(badWorkers.stderr).toMatch(/--workers must be 'auto' or an integer from 1 to 64, got 'many'/);
}, 180000);
