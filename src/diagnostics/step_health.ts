/**
 * Training health as the optimizer actually applies it (issue 29):
 *
 *   - `UpdateProbe`: on a logging step, keeps the weights before the optimizer
 *     step and measures, after it, the applied update ratio ‖w_after − w_before‖ /
 *     ‖w_before‖ (whatever the optimizer: Adam, SGD, RMSprop...), globally and per
 *     weight group (./weight_groups), with each group's gradient norm. One read
 *     back of 4 numbers per variable; nothing at all on the other steps.
 *   - `EpochHealth`: the epoch's clipping rate and the range of every layer's
 *     update ratio, and the warnings they call for: a layer whose ratio stays
 *     below 1e-5 (barely learning) or above 1e-1 (thrashing) over a whole epoch,
 *     or more than half the steps clipped.
 *
 * The ratio is the figure practitioners watch (about 1e-3 is healthy). It is not
 * lr·‖g‖/‖w‖: with Adam each weight moves by about lr whatever its gradient's size.
 */
import * as tf from '@tensorflow/tfjs';
import { weightGroups, type WeightGroups } from './weight_groups';

/** Health of one weight group at one step. */
export interface LayerHealth {
  /** L2 norm of the group's gradients as the clipping saw them (after clip-by-value, before clip-by-norm). */
  gradNorm: number;
  /** ‖Δw‖ / ‖w_before‖ over the group's weights: the update the optimizer applied, relative to the weights. */
  updateRatio: number;
}

/** What a probe measures at one step. */
export interface UpdateMeasure {
  /** ‖w_after − w_before‖ / ‖w_before‖ over all trainable weights. */
  updateRatio: number;
  /** ‖w_after‖ over all trainable weights. */
  paramNorm: number;
  /** Per weight group, in the model's weight order. */
  layers: Record<string, LayerHealth>;
}

const TINY = 1e-12;

/**
 * Measures the applied update of one optimizer step. Call `begin(grads)` just
 * before `optimizer.applyGradients` and `end()` just after. `begin` keeps a copy
 * of the weights (on the cpu backend a reference to the same buffer: tfjs
 * optimizers assign new tensors, they never write in place), freed by `end`.
 */
export class UpdateProbe {
  readonly groups: WeightGroups;
  private before: tf.Tensor[] | null = null;
  private gradSquares: tf.Tensor1D | null = null;

  /** `names[i]`: the (original) name of `vars[i]`, which decides its group. */
  constructor(private readonly vars: tf.Variable[], names: readonly string[]) {
    if (names.length !== vars.length) throw new Error(`UpdateProbe: ${names.length} names for ${vars.length} variables`);
    this.groups = weightGroups(names);
  }

  /** Before the step: keeps the weights and the squared norm of each gradient (`grads` keyed by variable name). */
  begin(grads: tf.NamedTensorMap): void {
    this.release();
    this.before = this.vars.map((v) => tf.clone(v));
    this.gradSquares = tf.tidy(() => tf.stack(this.vars.map((v) => tf.sum(tf.square(grads[v.name])))) as tf.Tensor1D);
  }

  /** After the step: the applied update, globally and per group. */
  end(): UpdateMeasure {
    const before = this.before;
    const gradSquares = this.gradSquares;
    if (!before || !gradSquares) throw new Error('UpdateProbe.end() without begin()');
    const V = this.vars.length;
    const all = tf.tidy(() =>
      tf.concat([
        gradSquares,
        tf.stack(this.vars.map((v, i) => tf.sum(tf.square(tf.sub(v, before[i]))))),
        tf.stack(before.map((b) => tf.sum(tf.square(b)))),
        tf.stack(this.vars.map((v) => tf.sum(tf.square(v)))),
      ]),
    );
    const s = all.dataSync();
    all.dispose();
    this.release();
    // Group sums in float64.
    const G = this.groups.names.length;
    const g2 = new Float64Array(G);
    const d2 = new Float64Array(G);
    const w2 = new Float64Array(G);
    let dAll = 0;
    let wAll = 0;
    let aAll = 0;
    for (let i = 0; i < V; i++) {
      const k = this.groups.of[i];
      g2[k] += s[i];
      d2[k] += s[V + i];
      w2[k] += s[2 * V + i];
      dAll += s[V + i];
      wAll += s[2 * V + i];
      aAll += s[3 * V + i];
    }
    const layers: Record<string, LayerHealth> = {};
    this.groups.names.forEach((name, k) => {
      layers[name] = { gradNorm: Math.sqrt(g2[k]), updateRatio: Math.sqrt(d2[k]) / Math.max(Math.sqrt(w2[k]), TINY) };
    });
    return { updateRatio: Math.sqrt(dAll) / Math.max(Math.sqrt(wAll), TINY), paramNorm: Math.sqrt(aAll), layers };
  }

  /** Frees what `begin` kept (a step abandoned between begin and end). */
  release(): void {
    if (this.before) tf.dispose(this.before);
    this.gradSquares?.dispose();
    this.before = null;
    this.gradSquares = null;
  }
}

/** Thresholds of the epoch warnings. */
export interface HealthThresholds {
  /** Warn when a layer's update ratio stays below this over a whole epoch. Default 1e-5. */
  lowRatio: number;
  /** Warn when a layer's update ratio stays above this over a whole epoch. Default 1e-1. */
  highRatio: number;
  /** Warn when more than this fraction of the epoch's steps were clipped. Default 0.5. */
  clipFraction: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { lowRatio: 1e-5, highRatio: 1e-1, clipFraction: 0.5 };

/** One layer over an epoch's measured steps. */
export interface LayerEpochHealth {
  /** Mean gradient norm over the measured steps. */
  gradNorm: number;
  /** Geometric mean of the update ratio over the measured steps (ratios spread over decades). */
  updateRatio: number;
  /** Smallest and largest update ratio seen. */
  updateRatioMin: number;
  updateRatioMax: number;
}

/** What an epoch's health comes to. */
export interface EpochHealthSummary {
  /** Fraction of the epoch's steps whose gradients global-norm clipping rescaled (0 without clipNorm). */
  clipFraction: number;
  /** Per layer, over the epoch's measured (logging) steps; empty when none was measured. */
  layers: Record<string, LayerEpochHealth>;
  /** One line per problem, naming the layer and the option to change. */
  warnings: string[];
}

/** Accumulates one epoch of step health; `summary()` at the epoch's end, then `reset()`. */
export class EpochHealth {
  private clipped = 0;
  private steps = 0;
  private measured = 0;
  private readonly layers = new Map<string, { gradSum: number; logRatioSum: number; min: number; max: number }>();

  constructor(private readonly thresholds: HealthThresholds = DEFAULT_THRESHOLDS) {}

  /**
   * Counts a step (continuing a resumed epoch: `clipped` and `steps` start from
   * the checkpoint's counts via `restoreCounts`).
   */
  step(clipped: boolean, measure?: UpdateMeasure): void {
    this.steps++;
    if (clipped) this.clipped++;
    if (!measure) return;
    this.measured++;
    for (const [name, h] of Object.entries(measure.layers)) {
      const l = this.layers.get(name) ?? { gradSum: 0, logRatioSum: 0, min: Infinity, max: -Infinity };
      l.gradSum += h.gradNorm;
      l.logRatioSum += Math.log(Math.max(h.updateRatio, TINY));
      l.min = Math.min(l.min, h.updateRatio);
      l.max = Math.max(l.max, h.updateRatio);
      this.layers.set(name, l);
    }
  }

  /** Steps and clipped steps so far in the epoch (saved in checkpoints). */
  get counts(): { steps: number; clipped: number } {
    return { steps: this.steps, clipped: this.clipped };
  }

  restoreCounts(steps: number, clipped: number): void {
    this.steps = steps;
    this.clipped = clipped;
  }

  /**
   * The epoch's figures and warnings. `epoch` is 0-based; `lr` and `clipNorm` are
   * the run's current values (quoted in the advice).
   */
  summary(epoch: number, lr: number, clipNorm: number): EpochHealthSummary {
    const t = this.thresholds;
    const clipFraction = this.steps > 0 ? this.clipped / this.steps : 0;
    const layers: Record<string, LayerEpochHealth> = {};
    const warnings: string[] = [];
    const e = epoch + 1;
    for (const [name, l] of this.layers) {
      layers[name] = { gradNorm: l.gradSum / this.measured, updateRatio: Math.exp(l.logRatioSum / this.measured), updateRatioMin: l.min, updateRatioMax: l.max };
      if (l.max < t.lowRatio) {
        warnings.push(
          `epoch ${e}: layer '${name}' update ratio stayed below ${t.lowRatio} (max ${fmt(l.max)} over ${this.measured} logged steps): ` +
            `its weights barely move; try a larger learning rate (--lr, now ${fmt(lr)})`,
        );
      } else if (l.min > t.highRatio) {
        warnings.push(
          `epoch ${e}: layer '${name}' update ratio stayed above ${t.highRatio} (min ${fmt(l.min)} over ${this.measured} logged steps): ` +
            `each step rewrites its weights; try a smaller learning rate (--lr, now ${fmt(lr)})`,
        );
      }
    }
    if (clipFraction > t.clipFraction) {
      warnings.push(
        `epoch ${e}: gradient clipping fired on ${Math.round(100 * clipFraction)}% of the steps (${this.clipped} of ${this.steps}): ` +
          `the clip norm ${fmt(clipNorm)} sets the step size; try a larger --clip-norm, or a smaller --lr (now ${fmt(lr)})`,
      );
    }
    return { clipFraction, layers, warnings };
  }

  reset(): void {
    this.clipped = 0;
    this.steps = 0;
    this.measured = 0;
    this.layers.clear();
  }
}

const fmt = (v: number): string => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v));
