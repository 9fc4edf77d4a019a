/**
 * Learning-rate schedules: constant, step decay, cosine annealing, and
 * reduce-on-plateau, each with an optional linear warm-up. A schedule's whole
 * state is JSON (it goes into checkpoints so a resumed run continues the same curve).
 *
 *   constant  lr
 *   step      lr · gamma^⌊epoch / stepEpochs⌋                      (floored at minLr)
 *   cosine    minLr + ½(lr − minLr)(1 + cos(π · step / totalSteps))
 *   plateau   lr · gamma^(number of plateaus)                      (floored at minLr)
 *   warm-up   × (step + 1) / warmupSteps for the first warmupSteps steps
 */

export type ScheduleName = 'constant' | 'step' | 'cosine' | 'plateau';
export const SCHEDULES: readonly ScheduleName[] = ['constant', 'step', 'cosine', 'plateau'];

export interface ScheduleOptions {
  /** Which schedule. Default 'constant'. */
  name?: ScheduleName;
  /** step: multiply by `gamma` every `stepEpochs` epochs. plateau: multiply by `gamma` after `patience` epochs without dev improvement. Default 0.5. */
  gamma?: number;
  /** step: epochs between decays. Default 1. */
  stepEpochs?: number;
  /** plateau: epochs without improvement before decaying. Default 1. */
  patience?: number;
  /** cosine: the learning rate at the end; step, plateau: the floor. Default 0. */
  minLr?: number;
  /** Linear warm-up over this many steps. Default 0. */
  warmupSteps?: number;
}

/** Serializable schedule state (only plateau has any). */
export interface ScheduleState {
  /** plateau: current multiplier. */
  factor: number;
  /** plateau: best dev value so far (higher is better; null before the first). */
  best: number | null;
  /** plateau: epochs since the best. */
  bad: number;
}

export class LrSchedule {
  readonly opts: Required<ScheduleOptions>;
  state: ScheduleState = { factor: 1, best: null, bad: 0 };

  constructor(readonly baseLr: number, opts: ScheduleOptions = {}) {
    this.opts = { name: 'constant', gamma: 0.5, stepEpochs: 1, patience: 1, minLr: 0, warmupSteps: 0, ...opts };
    const { name, gamma, stepEpochs, patience, minLr, warmupSteps } = this.opts;
    if (!SCHEDULES.includes(name)) throw new Error(`unknown schedule '${String(name)}': expected one of ${SCHEDULES.join(', ')}`);
    if (!(gamma > 0 && gamma <= 1)) throw new Error(`schedule gamma must be in (0, 1], got ${gamma}`);
    if (!(Number.isInteger(stepEpochs) && stepEpochs >= 1)) throw new Error(`schedule stepEpochs must be a positive integer, got ${stepEpochs}`);
    if (!(Number.isInteger(patience) && patience >= 1)) throw new Error(`schedule patience must be a positive integer, got ${patience}`);
    if (!(minLr >= 0)) throw new Error(`schedule minLr must be ≥ 0, got ${minLr}`);
    if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0)) throw new Error(`schedule warmupSteps must be a non-negative integer, got ${warmupSteps}`);
  }

  /** The learning rate of global step `globalStep` (0-based), taken in epoch `epoch` (0-based), out of `totalSteps` in the run. */
  lr(epoch: number, globalStep: number, totalSteps: number): number {
    const { name, gamma, stepEpochs, minLr, warmupSteps } = this.opts;
    let lr = this.baseLr;
    if (name === 'step') lr = Math.max(minLr, lr * Math.pow(gamma, Math.floor(epoch / stepEpochs)));
    else if (name === 'cosine') lr = minLr + 0.5 * (this.baseLr - minLr) * (1 + Math.cos((Math.PI * Math.min(globalStep, totalSteps)) / Math.max(1, totalSteps)));
    else if (name === 'plateau') lr = Math.max(minLr, lr * this.state.factor);
    if (warmupSteps > 0 && globalStep < warmupSteps) lr *= (globalStep + 1) / warmupSteps;
    return lr;
  }

  /** Tell the schedule an epoch's dev value (higher is better); plateau decays after `patience` epochs without improvement. */
  observe(value: number): void {
    if (this.opts.name !== 'plateau' || !Number.isFinite(value)) return;
    if (this.state.best === null || value > this.state.best) {
      this.state.best = value;
      this.state.bad = 0;
    } else if (++this.state.bad >= this.opts.patience) {
      this.state.factor *= this.opts.gamma;
      this.state.bad = 0;
    }
  }
}
