/**
 * Learning-rate schedules: constant, step decay, cosine annealing, and
 * reduce-on-plateau. A schedule is a small object whose whole state is JSON
 * (it goes into checkpoints so a resumed run continues the same curve).
 */

export type ScheduleName = 'constant' | 'step' | 'cosine' | 'plateau';
export const SCHEDULES: ScheduleName[] = ['constant', 'step', 'cosine', 'plateau'];

export interface ScheduleOptions {
  /** Which schedule. Default 'constant'. */
  name?: ScheduleName;
  /** step: multiply by `gamma` every `stepEpochs` epochs. plateau: multiply by `gamma` after `patience` epochs without dev improvement. Default 0.5. */
  gamma?: number;
  /** step: epochs between decays. Default 1. */
  stepEpochs?: number;
  /** plateau: epochs without improvement before decaying. Default 1. */
  patience?: number;
  /** cosine: the learning rate at the end. Default 0. */
  minLr?: number;
  /** Linear warm-up over this many steps. Default 0. */
  warmupSteps?: number;
}

/** Serializable schedule state. */
export interface ScheduleState {
  /** plateau: current multiplier. */
  factor: number;
  /** plateau: best dev value so far (higher is better). */
  best: number;
  /** plateau: epochs since the best. */
  bad: number;
}

export class LrSchedule {
  readonly opts: Required<ScheduleOptions>;
  state: ScheduleState = { factor: 1, best: -Infinity, bad: 0 };

  constructor(readonly baseLr: number, opts: ScheduleOptions = {}) {
    this.opts = { name: 'constant', gamma: 0.5, stepEpochs: 1, patience: 1, minLr: 0, warmupSteps: 0, ...opts };
    if (!SCHEDULES.includes(this.opts.name)) throw new Error(`unknown schedule '${this.opts.name}': expected one of ${SCHEDULES.join(', ')}`);
  }

  /** The learning rate for a global step (0-based) in an epoch, out of `totalSteps`. */
  lr(epoch: number, globalStep: number, totalSteps: number): number {
    const { name, gamma, stepEpochs, minLr, warmupSteps } = this.opts;
    let lr = this.baseLr;
    if (name === 'step') lr *= Math.pow(gamma, Math.floor(epoch / stepEpochs));
    else if (name === 'cosine') lr = minLr + 0.5 * (this.baseLr - minLr) * (1 + Math.cos((Math.PI * Math.min(globalStep, totalSteps)) / Math.max(1, totalSteps)));
    else if (name === 'plateau') lr *= this.state.factor;
    if (warmupSteps > 0 && globalStep < warmupSteps) lr *= (globalStep + 1) / warmupSteps;
    return lr;
  }

  /** Tell the schedule the epoch's dev value (higher is better); plateau decays on stagnation. */
  observe(value: number): void {
    if (this.opts.name !== 'plateau' || !Number.isFinite(value)) return;
    if (value > this.state.best) {
      this.state.best = value;
      this.state.bad = 0;
    } else if (++this.state.bad >= this.opts.patience) {
      this.state.factor *= this.opts.gamma;
      this.state.bad = 0;
    }
  }
}
