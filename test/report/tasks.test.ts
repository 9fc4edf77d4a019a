/**
 * `rnn-train --report FILE.html` for every registered task, end to end on tiny
 * runs of the built CLI: the page is written, holds the common curves and the
 * task's own pictures as inline SVG, no scripts, and opens in headless Chromium
 * with no console errors (skipped, saying why, without Chromium).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { taskNames } from '../../tasks';
import { chromiumUnavailable, collectPageErrors, launchChromium } from '../helpers/chromium';
import { sentimentSlice } from '../helpers/sentiment_data';

const root = path.resolve(__dirname, '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-report-task-'));

const sentimentData = (): string => sentimentSlice(200, 40, 40);

/** 72 months of a seasonal, trending series. */
function monthlySeries(): string {
  const file = path.join(tmp(), 'sales.csv');
  const rows = Array.from({ length: 72 }, (_, t) => `${2000 + Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')},${((100 + 2 * t) * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 12))).toFixed(1)}`);
  fs.writeFileSync(file, ['month,sales', ...rows].join('\n') + '\n');
  return file;
}

/** A two-topic corpus of a few hundred words. */
function wordCorpus(): string {
  const file = path.join(tmp(), 'corpus.txt');
  const topics = [['cat', 'dog', 'pet', 'fur', 'paw'], ['car', 'road', 'wheel', 'drive', 'fuel']];
  const lines = Array.from({ length: 60 }, (_, i) => Array.from({ length: 8 }, (_, k) => topics[i % 2][(i * 3 + k * 7) % 5]).join(' '));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Tiny, fast runs per task (the bundled data unless --data is given); every registered task must have one. */
const TINY: Record<string, () => string[]> = {
  sentiment: () => ['--data', sentimentData(), '--epochs', '2', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--pretrained', 'none'],
  charlm: () => ['--epochs', '2', '--layers', '1', '--hidden', '16', '--embedding-dim', '8', '--min-epoch-steps', '5', '--samples', '1', '--sample-length', '20'],
  timeseries: () => ['--data', monthlySeries(), '--epochs', '2', '--hidden', '4'],
  pos: () => ['--epochs', '1', '--layers', '1', '--hidden', '8', '--word-dim', '8', '--char-dim', '0', '--pretrained', 'none'],
  translate: () => ['--epochs', '1', '--hidden', '8', '--embedding-dim', '8', '--beam-size', '1', '--examples', '0'],
  word2vec: () => ['--data', wordCorpus(), '--epochs', '2', '--dim', '8', '--window', '2', '--min-count', '1', '--sample', '0', '--save', 'none'],
  nextframe: () => ['--frame-size', '8', '--filters', '4', '--input-frames', '3', '--output-frames', '2', '--train-sequences', '8', '--dev-sequences', '4', '--test-sequences', '4', '--batch-size', '4', '--show-sequences', '1', '--epochs', '2'],
  caption: () => ['--scenes', '16', '--image-size', '16', '--encoder-depth', '2', '--encoder-width', '4', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--epochs', '2', '--beam-size', '2'],
};

/** Tasks whose training has no per-layer gradient diagnostics (no tf.LayersModel gradient step). */
const NO_LAYER_DIAGNOSTICS = new Set(['word2vec']);

const why = chromiumUnavailable();

test('every registered task has a tiny configuration here, and every configuration is a registered task', () => {
  expect(Object.keys(TINY).sort()).toEqual([...taskNames()].sort());
});

for (const name of taskNames()) {
  const args = TINY[name] ?? ((): string[] => { throw new Error(`${name}: no tiny configuration in test/report/tasks.test.ts`); });
  test(`rnn-train --task ${name} --report: a self-contained page${why ? '' : ' that opens in headless Chromium with no console errors'}`, async () => {
    const out = tmp();
    const file = path.join(out, 'report.html');
    const r = spawnSync(process.execPath, [TRAIN, '--task', name, ...args(), '--out', out, '--backend', 'wasm', '--json', '--report', file], { cwd: root, encoding: 'utf8', timeout: 180000 });
    if (r.status !== 0) throw new Error(`rnn-train --task ${name} exited ${r.status}: ${r.stderr}`);
    const html = fs.readFileSync(file, 'utf8');
    const svgs = html.match(/<svg /g)?.length ?? 0;
    expect(svgs).toBeGreaterThanOrEqual(3); // loss, dev metric and lr curves at least
    expect(html).toContain('Loss by epoch');
    // per-layer diagnostics (issue 29); word2vec trains its table in its own SGNS loop, not through the engine's gradient step
    if (!NO_LAYER_DIAGNOSTICS.has(name)) for (const panel of ['Update ratio by layer', 'Gradient norm by layer']) expect(html).toContain(`<h3>${panel}</h3>`);
    expect(html).not.toMatch(/<script/i);
    if (why) {
      process.stderr.write(`report_tasks: not opened in a browser (${why})\n`);
      return;
    }
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`file://${file}`);
      expect(await page.locator('svg').count()).toBe(svgs);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
    fs.rmSync(out, { recursive: true, force: true });
  }, 240000);
}
