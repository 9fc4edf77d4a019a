/**
 * The nextframe task through the real CLIs (compiled dist/, child processes) on
 * tiny moving squares: one epoch with the JSON summary and an HTML report whose
 * pictures are inline PNGs, then rnn-predict writing PNG strips and a .npy of
 * the predictions; a bad .npy is a one-line error naming the file.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { readNpy } from '../../../tasks/nextframe/npy';

const root = path.resolve(__dirname, '..', '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-nextframe-cli-'));

function run(bin: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

const TINY = ['--frame-size', '8', '--filters', '4', '--input-frames', '3', '--output-frames', '2', '--train-sequences', '8', '--dev-sequences', '4', '--test-sequences', '4', '--batch-size', '4', '--show-sequences', '1'];

test('rnn-train --task nextframe on tiny moving squares (1 epoch, report), then rnn-predict writes PNG strips', () => {
  const out = tmp();
  const report = path.join(out, 'report.html');
  const r = run(TRAIN, ['--task', 'nextframe', ...TINY, '--epochs', '1', '--out', out, '--backend', 'wasm', '--json', '--report', report]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.lines[r.lines.length - 1]);
  expect(summary).toMatchObject({ event: 'summary', task: 'nextframe', model: path.join(out, 'best'), frame: { height: 8, width: 8, channels: 1 }, patch: 1 });
  expect(Object.keys(summary.metrics.test)).toEqual(['mse', 'frameMse', 'bce', 'ssim']);
  expect(Object.keys(summary.baselines.test)).toEqual(['copyLast', 'meanFrame']);
  expect(summary.mseByStep).toHaveLength(2);
  const html = fs.readFileSync(report, 'utf8');
  expect(html).toMatch(/Test sequence 1: input, ground truth, predicted/);
  expect(html).toMatch(/xlink:href="data:image\/png;base64,iVBOR/);

  const pngDir = path.join(out, 'pred');
  const npy = path.join(out, 'pred.npy');
  const p = run(PREDICT, ['--model', path.join(out, 'best'), '--output', pngDir, '--count', '2', '--npy', npy]);
  expect(p.code).toBe(0);
  expect(p.lines).toEqual([0, 1].map((i) => expect.stringMatching(new RegExp(`test_00${i}\\.png: input \\| truth \\| predicted \\(MSE per pixel 0\\.\\d+\\)$`))));
  // Strip: 3 rows (input, truth, predicted) of 3 columns of 8×8 frames zoomed ×6, 2-pixel gaps.
  const png = PNG.sync.read(fs.readFileSync(path.join(pngDir, 'test_000.png')));
  expect([png.width, png.height]).toEqual([3 * 48 + 2 * 2, 3 * 48 + 2 * 2]);
  expect(readNpy(npy).shape).toEqual([2, 2, 8, 8, 1]);

  // A .npy of the wrong rank: one line naming it.
  const bad = path.join(out, 'bad.npy');
  fs.writeFileSync(bad, 'nope');
  const e = run(PREDICT, ['--model', path.join(out, 'best'), bad]);
  expect(e.code).toBe(1);
  expect(e.err.trim().split("\n").pop()).toBe(`rnn-predict: error: ${bad}: not a .npy file (it does not start with the \\x93NUMPY magic)`);
});
