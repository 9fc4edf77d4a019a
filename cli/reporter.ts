/**
 * Progress output for long runs: a progress bar on a terminal (epoch, step, loss,
 * dev metric, examples/s, ETA), or one JSON object per line when asked (--json)
 * or when stdout is not a terminal. Human summaries go to stdout, notes to stderr
 * in JSON mode so stdout stays machine-readable.
 */
import * as cliProgress from 'cli-progress';
import type { EpochInfo, StepInfo } from '../src/train';

export class Reporter {
  readonly json: boolean;
  private bar: cliProgress.SingleBar | null = null;
  private lastMetric = '-';
  private lastJsonStep = 0;
  readonly losses: number[] = [];

  constructor(json: boolean, private readonly epochs: number, private readonly metricName = 'accuracy') {
    this.json = json || !process.stdout.isTTY;
  }

  /** One JSON line (JSON mode) or nothing. */
  event(obj: Record<string, unknown>): void {
    if (this.json) process.stdout.write(`${JSON.stringify(obj)}\n`);
  }

  note(message: string): void {
    if (this.json) this.event({ event: 'note', message });
    else this.println(message);
  }

  println(line: string): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    process.stdout.write(`${line}\n`);
  }

  step(s: StepInfo): void {
    this.losses.push(s.loss);
    if (this.json) {
      // Every 20 steps and the last of each epoch: enough to plot, not a flood.
      if (s.globalStep - this.lastJsonStep >= 20 || s.step === s.stepsInEpoch - 1) {
        this.lastJsonStep = s.globalStep;
        this.event({
          event: 'step',
          epoch: s.epoch + 1,
          step: s.step + 1,
          steps: s.stepsInEpoch,
          loss: round(s.loss),
          gradNorm: round(s.gradNorm),
          updateRatio: round(s.updateRatio, 8),
          lr: s.lr,
          examplesPerSec: Math.round(s.examplesPerSec),
          etaSec: Math.round(s.etaSec),
        });
      }
      return;
    }
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'epoch {ep}/{eps} |{bar}| {value}/{total} loss {loss} grad {grad} dev {metric} | {speed} ex/s | ETA {eta_run}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(s.stepsInEpoch, 0);
    }
    this.bar.update(s.step + 1, {
      ep: s.epoch + 1,
      eps: this.epochs,
      loss: s.loss.toFixed(4),
      grad: s.gradNorm.toFixed(2),
      metric: this.lastMetric,
      speed: Math.round(s.examplesPerSec),
      eta_run: formatSeconds(s.etaSec),
    });
  }

  epoch(e: EpochInfo): void {
    const metric = e.dev[this.metricName];
    if (metric !== undefined) this.lastMetric = metric.toFixed(4);
    if (this.json) {
      this.event({ event: 'epoch', epoch: e.epoch + 1, loss: round(e.loss), dev: roundAll(e.dev), best: e.best, lr: e.lr, seconds: round(e.seconds, 1) });
      return;
    }
    const dev = Object.entries(e.dev).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
    this.println(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, dev ${dev}${e.best ? '  (best so far, saved)' : ''} [${e.seconds.toFixed(1)} s]`);
  }

  close(): void {
    if (this.bar) this.bar.stop();
    this.bar = null;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function round(v: number, digits = 5): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function roundAll(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)]));
}
