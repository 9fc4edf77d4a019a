/** Errors the training engine throws. */
import { UserError } from '../errors';

/** The loss (or gradient norm) became NaN/Inf or exploded; training stopped before applying the step, and the last good checkpoint is kept. */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    /** 0-based epoch and step of the bad batch. */
    readonly epoch: number,
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
    /** The last good checkpoint on disk, if any. */
    readonly checkpoint?: string,
  ) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/** A checkpoint cannot be used with this model or these options (a usage error: exit code 2 unless given). */
export class CheckpointMismatchError extends UserError {
  constructor(message: string, exitCode = 2) {
    super(message, exitCode);
    this.name = 'CheckpointMismatchError';
  }
}

/** A data-parallel worker thread failed (TrainOptions.workers); training stopped before applying the step. */
export class WorkerCrashedError extends Error {
  constructor(
    message: string,
    /** 1-based worker index (the main thread is shard 0). */
    readonly worker: number,
    /** The checkpoint holding the state before the failed step, if any. */
    readonly checkpoint?: string,
  ) {
    super(message);
    this.name = 'WorkerCrashedError';
  }
}
