/**
 * Shared CLI plumbing: one-line errors with the right exit code, backend choice.
 * Exit codes: 0 ok, 1 failure, 2 bad usage, 130 interrupted.
 *
 * One error surface: every refusal, commander's included, is `rnn-X: error: ...` on
 * stderr; with --json a final `{"event":"error","message","exitCode"}` line goes
 * to stdout as well (runMain writes it).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import { BackendError, selectBackend } from '../src/backend';
import { UserError } from '../src/errors';
import { TrainingDivergedError, WorkerCrashedError } from '../src/train';

export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

const DONE_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Parses argv with a program set up with exitOverride(). Returns null to go on, or
 * the exit code when parsing ended the run: 0 after --help / --version, 2 for a
 * usage error (commander has printed it).
 */
export function parseArgs(prog: Command, argv: string[]): number | null {
  let root: Command = prog;
  while (root.parent) root = root.parent;
  const name = root.name().split(' ')[0]; // 'rnn-diagnose gradients' → rnn-diagnose
  // commander writes "error: unknown option ..."; give it the program's prefix like every other error
  prog.configureOutput({
    outputError: (str, write) => {
      lastError = str.replace(/^error: /, '').trim().split('\n')[0];
      write(`${name}: ${str.startsWith('error: ') ? str : `error: ${str}`}`);
    },
  });
  try {
    prog.parse(argv, { from: 'user' });
    return null;
  } catch (e) {
    return DONE_CODES.has((e as { code?: string }).code ?? '') ? EXIT.ok : EXIT.usage;
  }
}

/** A number for a message: 4 significant digits. */
const fmt = (x: number): string => (Number.isFinite(x) ? String(+x.toPrecision(4)) : String(x));

/** The last error message printed (for the --json error event). */
let lastError: string | null = null;

/** Prints a usage/data error line `prog: error: message` (for refusals a main returns as an exit code). */
export function printError(prog: string, message: string): void {
  lastError = message;
  process.stderr.write(`${prog}: error: ${message}\n`);
}

/** Prints an error as one line (no stack trace for anything a user can cause) and returns its exit code. */
export function reportError(prog: string, e: unknown): number {
  const err = e as Error & { exitCode?: number; code?: string };
  const msg = String(err?.message ?? e).split('\n')[0];
  lastError = msg;
  if (err instanceof UserError) {
    process.stderr.write(`${prog}: error: ${msg}\n`);
    return err.exitCode;
  }
  if (err instanceof TrainingDivergedError) {
    // the engine's message speaks the library's option names; the CLI's user gets the flags, rounded numbers, and a checkpoint only if one exists
    const cp = err.checkpoint && fs.existsSync(path.join(err.checkpoint, 'training.json')) ? `; the last good checkpoint is ${err.checkpoint} (continue with --resume ${err.checkpoint} and a lower --lr)` : '; no checkpoint was written yet';
    printError(prog, `training diverged at epoch ${err.epoch + 1}, step ${err.step + 1}: loss ${fmt(err.loss)}, gradient norm ${fmt(err.gradNorm)}${cp}; try a lower --lr or --clip-norm 1`);
    return EXIT.failure;
  }
  if (err instanceof BackendError) {
    printError(prog, msg);
    return /^unknown backend/.test(msg) ? EXIT.usage : EXIT.failure; // a bad name (RNN_BACKEND or --backend) is usage, as commander's --backend choices
  }
  if (err instanceof WorkerCrashedError) {
    process.stderr.write(`${prog}: error: ${msg}\n`);
    return EXIT.failure;
  }
  if (err instanceof RangeError || /out of memory|OOM|Array buffer allocation failed|Cannot enlarge memory/i.test(msg)) {
    process.stderr.write(`${prog}: error: out of memory (${msg}); the configuration is too large for this machine: try a smaller --hidden, --embedding-dim or --batch-size\n`);
    return EXIT.failure;
  }
  if (/^[^:\n]+: (expected|no such|not |missing|bad |the |cannot )/.test(msg) || (err instanceof Error && /: expected /.test(msg))) {
    // Validation errors from the layers and readers name their subject; no trace needed.
    process.stderr.write(`${prog}: error: ${msg}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`${prog}: internal error: ${msg}\n`);
  if (process.env.RNNKIT_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write(`${prog}: (set RNNKIT_DEBUG=1 for the stack trace, and please report it)\n`);
  return EXIT.failure;
}

/** Selects the backend and returns its name. */
export async function useBackend(name: string | undefined): Promise<string> {
  return selectBackend(name);
}

/** With --json: the final error event on stdout. */
function jsonErrorEvent(code: number): void {
  if (code === EXIT.ok || code === EXIT.interrupted || !process.argv.slice(2).includes('--json')) return;
  process.stdout.write(`${JSON.stringify({ event: 'error', message: lastError ?? `exit code ${code}`, exitCode: code })}\n`);
}

/** Runs an async main, mapping errors to exit codes. */
export function runMain(prog: string, main: () => Promise<number>): void {
  const exit = (code: number): void => {
    jsonErrorEvent(code);
    process.exit(code);
  };
  main().then(exit, (e) => exit(reportError(prog, e)));
}
