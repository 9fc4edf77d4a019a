/**
 * Training diagnostics as users see them (issue 29): the report's per-layer panels
 * (update ratio with the 1e-3 guide line, gradient norm, clipped steps by epoch)
 * and the CLI reporter's JSON lines (step events with layers, the epoch's clip
 * fraction, warning events, the summary fields).
 */
import { renderHtmlReport, type ReportStep } from '../../src/report/html';
import { Reporter } from '../../cli/reporter';
import type { EpochInfo, StepInfo } from '../../src/train/types';

const layers = (k: number): Record<string, { gradNorm: number; updateRatio: number }> => ({
  embedding: { gradNorm: 0.1 / k, updateRatio: 2e-4 },
  'encoder/l0': { gradNorm: 1 / k, updateRatio: 1e-3 * (1 + 1 / k) },
  'encoder/l0_reverse': { gradNorm: 0.9 / k, updateRatio: 9e-4 },
  output: { gradNorm: 2 / k, updateRatio: 5e-3 },
});

test('report: per-layer update ratio (log scale, dashed 1e-3 line) and gradient norm panels, clipped steps by epoch', async () => {
  const steps: ReportStep[] = Array.from({ length: 40 }, (_, i) => ({
    globalStep: i + 1, loss: 1 / (i + 1), gradNorm: 1, lr: 1e-3,
    ...((i + 1) % 10 === 0 ? { updateRatio: 1e-3, layers: layers(i + 1) } : {}),
  }));
  const history = [1, 2].map((epoch) => ({ epoch, loss: 1 / epoch, lr: 1e-3, clipFraction: epoch === 1 ? 0.75 : 0.25, dev_accuracy: 0.5 }));
  const html = await renderHtmlReport({ task: 't', config: {}, history, steps, metrics: { dev: { accuracy: 0.5 } }, figures: [] });
  for (const t of ['Update ratio by layer', 'Gradient norm by layer', 'Clipped steps by epoch']) expect(html).toContain(`<h3>${t}</h3>`);
  // loss, dev metric, step loss, lr, grad norm + the three new panels
  expect(html.match(/<svg /g)?.length).toBe(8);
  const ratio = html.slice(html.indexOf('<h3>Update ratio by layer</h3>'), html.indexOf('<h3>Gradient norm by layer</h3>'));
  for (const name of Object.keys(layers(1))) expect(ratio).toContain(name); // one line (legend entry) per layer
  expect(ratio).toContain('stroke-dasharray="4,4"'); // the guide line
  expect(ratio).toMatch(/0\.001/); // a log-scale axis tick at the guide

  // no layers (old runs, no logging steps) and no clipping: none of the new panels
  const bare = await renderHtmlReport({ task: 't', config: {}, history: history.map((h) => ({ ...h, clipFraction: 0 })), steps: steps.map(({ globalStep, loss, gradNorm, lr }) => ({ globalStep, loss, gradNorm, lr })), metrics: { dev: {} }, figures: [] });
  expect(bare).not.toContain('by layer');
  expect(bare).not.toContain('Clipped steps');
});

test('reporter --json: step events carry updateRatio and layers (logging steps only), epoch events the clip fraction, warnings their own events, the summary both', () => {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
  try {
    const r = new Reporter(true, 1, 'accuracy');
    const step = (globalStep: number, measured: boolean): StepInfo => ({
      epoch: 0, step: globalStep - 1, stepsInEpoch: 30, globalStep, loss: 0.5, gradNorm: 1, clipped: false, paramNorm: 10, gradParamRatio: 0.1, lr: 1e-3,
      examplesPerSec: 100, etaSec: 1, ...(measured ? { updateRatio: 1.23456e-3, layers: layers(1) } : {}),
    });
    for (let g = 1; g <= 30; g++) r.step(step(g, g % 10 === 0));
    const e: EpochInfo = { epoch: 0, loss: 0.5, dev: { accuracy: 0.6 }, best: true, lr: 1e-3, seconds: 1, clipFraction: 0.6, warnings: ['epoch 1: gradient clipping fired on 60% ...'] };
    r.epoch(e);
    const events = lines.map((l) => JSON.parse(l));
    expect(events.filter((x) => x.event === 'step').map((x) => x.step)).toEqual([20, 30]);
    expect(events[0]).toMatchObject({ event: 'step', updateRatio: 0.001235, layers: { output: { gradNorm: 2, updateRatio: 0.005 } } });
    expect(events[2]).toMatchObject({ event: 'epoch', clipFraction: 0.6 });
    expect(events[3]).toEqual({ event: 'warning', epoch: 1, message: e.warnings[0] });
    expect(r.diagnostics()).toEqual({ clipFraction: [0.6], warnings: e.warnings });
  } finally {
    spy.mockRestore();
  }
});
