/**
 * Progress output for long runs: a progress bar on a terminal (epoch, step, loss,
 * dev metric, examples/s, ETA), or one JSON object per line when asked (--json)
 * or when stdout is not a terminal. Human summaries go to stdout, notes to stderr
 * in JSON mode so stdout stays machine-readable. Training-health warnings (a layer
 * whose update ratio stays out of range, most steps clipped) print as `warning:`
 * lines, or `{"event":"warning"}` objects in JSON mode.
 */
import * as cliProgress from 'cli-progress';
import type { EpochInfo, StepInfo } from '../src/train';

export class Reporter {
  readonly json: boolean;
  private bar: cliProgress.SingleBar | null = null;
  private lastMetric = '-';
  /** The last measured update ratio (logging steps only), shown on the bar. */
  private lastRatio = '-';
  private lastJsonStep = 0;
  readonly losses: number[] = [];
  /** Per epoch: the fraction of steps gradient clipping fired on (for the summary). */
  readonly clipFractions: number[] = [];
  /** Every health warning of the run (for the summary). */
  readonly warnings: string[] = [];

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
      // Logging steps (the engine measured their update ratio and layers) at least 20
      // steps apart, and the last of each epoch: enough to plot, not a flood.
      if (s.layers && (s.globalStep - this.lastJsonStep >= 20 || s.step === s.stepsInEpoch - 1)) {
        this.lastJsonStep = s.globalStep;
        this.event({
          event: 'step',
          epoch: s.epoch + 1,
          step: s.step + 1,
          steps: s.stepsInEpoch,
          loss: round(s.loss),
          gradNorm: round(s.gradNorm),
          updateRatio: sig(s.updateRatio),
          lr: s.lr,
          layers: Object.fromEntries(Object.entries(s.layers).map(([k, v]) => [k, { gradNorm: sig(v.gradNorm), updateRatio: sig(v.updateRatio) }])),
          examplesPerSec: Math.round(s.examplesPerSec),
          etaSec: Math.round(s.etaSec),
          ...(s.budgetLeftSec !== undefined ? { budgetLeftSec: Math.round(s.budgetLeftSec) } : {}),
        });
      }
      return;
    }
    if (s.updateRatio !== undefined) this.lastRatio = s.updateRatio.toExponential(1);
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'epoch {ep}/{eps} |{bar}| {value}/{total} loss {loss} grad {grad} upd {upd} dev {metric} | {speed} ex/s | ETA {eta_run}',
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
      upd: this.lastRatio,
      metric: this.lastMetric,
      speed: Math.round(s.examplesPerSec),
      eta_run: s.budgetLeftSec === undefined ? formatSeconds(s.etaSec) : `${formatSeconds(Math.min(s.etaSec, Math.max(0, s.budgetLeftSec)))} (budget left ${formatSeconds(Math.max(0, s.budgetLeftSec))})`,
    });
  }

  epoch(e: EpochInfo): void {
    const metric = e.dev[this.metricName];
    if (metric !== undefined) this.lastMetric = metric.toFixed(4);
    const warnings = e.warnings ?? [];
    this.clipFractions.push(round(e.clipFraction ?? 0, 4));
    this.warnings.push(...warnings);
    if (this.json) {
      this.event({ event: 'epoch', epoch: e.epoch + 1, loss: round(e.loss), dev: roundAll(e.dev), best: e.best, lr: e.lr, clipFraction: round(e.clipFraction ?? 0, 4), seconds: round(e.seconds, 1) });
      for (const message of warnings) this.event({ event: 'warning', epoch: e.epoch + 1, message });
      return;
    }
    const dev = Object.entries(e.dev).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
    const clip = e.clipFraction ? `; ${Math.round(100 * e.clipFraction)}% of steps clipped` : '';
    this.println(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, dev ${dev}${e.best ? '  (best so far, saved)' : ''} [${e.seconds.toFixed(1)} s${clip}]`);
    for (const message of warnings) this.println(`warning: ${message}`);
  }

  /** Fields for the run's summary event: clipping rate per epoch and the health warnings. */
  diagnostics(): { clipFraction: number[]; warnings: string[] } {
    return { clipFraction: [...this.clipFractions], warnings: [...this.warnings] };
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

/** Four significant digits (update ratios span decades: fixed decimals would print 0). */
export function sig(v: number | undefined, digits = 4): number | null {
  return v === undefined || !Number.isFinite(v) ? null : Number(v.toPrecision(digits));
}

export function roundAll(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)]));
}
