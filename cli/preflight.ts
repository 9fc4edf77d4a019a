/**
 * Checks every CLI makes before any work (issue 24): the paths it will write, and
 * the checkpoint a run resumes from (intact, of this task, trained with the same
 * architecture options). Each failure is one UserError line; nothing is trained,
 * loaded or written first.
 */
import { UserError } from '../src/errors';
import { checkOutputDir, checkOutputFile } from '../src/io/output_paths';
import { checkResumeOptions, readArtifacts, readConfig, verifyCheckpoint } from '../src/train/checkpoint';
import { CheckpointMismatchError } from '../src/train/errors';

/** The extensions of an HTML report. */
export const REPORT_EXTENSIONS = ['.html', '.htm'] as const;

/** What the resume check needs of a task: its name and the options its checkpoints fix (Task.architectureOptions). */
export interface ResumableTask {
  name: string;
  /** Missing (a task module from outside written before the field): only the task is checked. */
  architectureOptions?: readonly string[];
}

/** rnn-train: --out, --report, and --resume checked before the task reads any data. */
export function preflightTrain(task: ResumableTask, effective: Record<string, unknown>, given: Record<string, unknown>, report: string | undefined): void {
  if (effective.out !== undefined) checkOutputDir(String(effective.out), { option: '--out', what: 'the checkpoints' });
  if (report !== undefined) checkOutputFile(report, { option: '--report', what: 'the report', extensions: REPORT_EXTENSIONS });
  const resume = effective.resume as string | undefined;
  if (resume) checkResumable(resume, task, given);
}

/**
 * A checkpoint to resume from: intact (bytes, checksums, finite weights), written by
 * `task`, and trained with the architecture options the user gave (the task's
 * `architectureOptions`: each one given must equal the checkpoint's value).
 */
export function checkResumable(dir: string, task: ResumableTask, given: Record<string, unknown>): void {
  const taskName = task.name;
  let src: string;
  try {
    src = verifyCheckpoint(dir);
  } catch (e) {
    if (e instanceof UserError && !(e as Error).message.startsWith('--resume')) throw new UserError(`--resume ${(e as Error).message}`, e.exitCode);
    throw e;
  }
  const artifacts = readArtifacts(src);
  if (typeof artifacts.task === 'string' && artifacts.task !== taskName) {
    throw new CheckpointMismatchError(`--resume ${dir}: this checkpoint is for task '${artifacts.task}', not ${taskName} (resume it with --task ${artifacts.task})`);
  }
  const taskConfig = (readConfig(src).task ?? {}) as Record<string, unknown>;
  const saved = { ...taskConfig, ...((artifacts.config ?? {}) as Record<string, unknown>) };
  checkResumeOptions(dir, saved, given, task.architectureOptions ?? []);
}

/** A model directory a command reads (rnn-predict, rnn-export, rnn-generate): intact before it is loaded. */
export function checkModelDir(dir: string): string {
  return verifyCheckpoint(dir);
}

/** An output file checked at start (`--out`, `--plot`...). */
export function checkOutput(file: string, option: string, extensions?: readonly string[], what?: string): string {
  return checkOutputFile(file, { option, extensions, what });
}
