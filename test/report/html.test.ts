import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeHtmlReport, type ReportInput } from '../../src/report/html';
import { confusionMatrixFigure } from '../../src/report/figures';
import { chromiumUnavailable, collectPageErrors, launchChromium } from '../helpers/chromium';

function input(): ReportInput {
  const history = [1, 2, 3, 4].map((epoch) => ({ epoch, loss: 1 / epoch, lr: 0.01 / epoch, dev_accuracy: 0.5 + epoch / 10, dev_macroF1: 0.4 + epoch / 10, dev_loss: 1.1 / epoch }));
  const steps = Array.from({ length: 3000 }, (_, i) => ({ globalStep: i + 1, loss: 1 / Math.sqrt(i + 1), gradNorm: i === 7 ? 0 : 1 + Math.sin(i), lr: 0.01 }));
  steps[5].loss = NaN; // non-finite values are skipped, not drawn
  return {
    task: 'sentiment',
    title: 'Sentiment <run> & "report"',
    backend: 'cpu',
    config: { epochs: 4, lr: 0.01, cell: 'lstm', out: 'runs/x' },
    history,
    steps,
    metrics: { dev: { accuracy: 0.9, macroF1: 0.8912345 }, test: { accuracy: 0.88, macroF1: 0.87 } },
    figures: [confusionMatrixFigure(['neg', 'pos'], [[40, 10], [5, 45]])],
    notes: ['5,000 training sentences'],
    report: ['           neg  pos', 'neg         40   10'],
  };
}

describe('writeHtmlReport', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-report-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one self-contained page: curves, metrics table, the task figure, escaped text, no scripts or URLs to fetch', async () => {
    const file = path.join(dir, 'sub', 'report.html');
    await writeHtmlReport(file, input());
    const html = fs.readFileSync(file, 'utf8');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['report.html']); // no temporary left
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // loss by epoch, metrics by epoch, step loss, lr, grad norm + the confusion matrix
    expect(html.match(/<svg /g)?.length).toBe(6);
    for (const t of ['Loss by epoch', 'Validation metrics by epoch', 'Training loss per step', 'Learning rate', 'Gradient norm', 'Confusion matrix (dev)']) expect(html).toContain(t);
    expect(html).toContain('Sentiment &lt;run&gt; &amp; &quot;report&quot;');
    expect(html).not.toContain('<run>');
    expect(html).toMatch(/<td>macroF1<\/td><td class="num">0.89123<\/td><td class="num">0.87<\/td>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('validation'); // dev_loss drawn beside the training loss
    expect(html).toContain('5,000 training sentences');
  });

  it('draws nothing it has no data for (no steps, no figures)', async () => {
    const file = path.join(dir, 'bare.html');
    await writeHtmlReport(file, { task: 'x', config: {}, history: [{ epoch: 1, loss: 0.5, lr: 0.1, dev_accuracy: 0.7 }], steps: [], metrics: { dev: { accuracy: 0.7 } }, figures: [] });
    const html = fs.readFileSync(file, 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(3); // loss, metric, lr by epoch
    expect(html).not.toContain('Gradient norm');
  });

  const why = chromiumUnavailable();
  (why ? it.skip : it)(`opens in headless Chromium with no console errors${why ? ` (skipped: ${why})` : ''}`, async () => {
    const file = path.join(dir, 'open.html');
    await writeHtmlReport(file, input());
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`file://${file}`);
      expect(await page.locator('svg').count()).toBe(6);
      expect(await page.locator('h1').innerText()).toBe('Sentiment <run> & "report"');
      const box = await page.locator('svg').first().boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      if (process.env.RNNKIT_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.RNNKIT_REPORT_SCREENSHOT, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('confusionMatrixFigure', () => {
  it('has one cell per (true, predicted) pair with its count and row share', () => {
    const f = confusionMatrixFigure(['a', 'b', 'c'], [[2, 0, 0], [1, 3, 0], [0, 0, 0]]);
    const values = (f.spec.data as { values: { truth: string; predicted: string; count: number; share: number }[] }).values;
    expect(values).toHaveLength(9);
    expect(values.find((v) => v.truth === 'b' && v.predicted === 'a')).toEqual({ truth: 'b', predicted: 'a', count: 1, share: 0.25 });
    expect(values.filter((v) => v.truth === 'c').every((v) => v.share === 0)).toBe(true); // empty row: no division by zero
  });
  it('rejects a matrix of the wrong shape', () => {
    expect(() => confusionMatrixFigure(['a', 'b'], [[1, 2]])).toThrow(/2x2/);
  });
});
