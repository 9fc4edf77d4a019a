/**
 * The small pieces every task's train.ts and predict.ts share (src/task.ts is the
 * contract they serve): reading a checkpoint's artifacts with the "this checkpoint
 * is for task X" check, the notes sink (collected and forwarded to hooks.onNote),
 * and the checkpoint a finished run predicts with (OUT/best, else OUT/last).
 * The checkpoint format itself is src/train/checkpoint.ts.
 */
import * as path from 'path';
import { UserError } from './errors';
import { readArtifacts } from './train';
import type { TaskHooks, TrainResult } from './train';

/**
 * A checkpoint's artifacts.json (what the task saved to predict: vocabularies,
 * scalers, config), checked to be `task`'s: a UserError names the directory and
 * the task it belongs to otherwise.
 */
export function readTaskArtifacts<A extends { task: string }>(dir: string, task: A['task']): A {
  const a = readArtifacts(dir) as { task?: unknown };
  if (a.task !== task) throw new UserError(`${dir}: this checkpoint is for task '${String(a.task)}', not ${task}`);
  return a as unknown as A;
}

/** Notes about the data and choices made: kept (the TaskResult's `notes`) and sent through hooks.onNote as they come. */
export interface NoteSink {
  notes: string[];
  note: (message: string) => void;
}

/** A NoteSink that forwards to `hooks.onNote`. */
export function noteSink(hooks: TaskHooks): NoteSink {
  const notes: string[] = [];
  return {
    notes,
    note: (message) => {
      notes.push(message);
      hooks.onNote?.(message);
    },
  };
}

/** Whether the run has a best checkpoint (an epoch completed and was evaluated). */
export const hasBest = (training: Pick<TrainResult, 'bestEpoch'>): boolean => training.bestEpoch >= 0;

/** The checkpoint to predict with after a run into `out`: OUT/best, or OUT/last when no epoch completed. */
export function bestOrLastDir(training: Pick<TrainResult, 'bestEpoch'>, out: string): string {
  return path.join(out, hasBest(training) ? 'best' : 'last');
}
