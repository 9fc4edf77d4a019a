/**
 * The task registry: name → task. The only file the CLI imports from tasks/.
 * Adding a task is one folder (tasks/<name>/, whose index.ts exports `task`) and
 * one line here. Tasks load lazily, so `rnn-train --task X` only loads X.
 *
 * Plug-ins: RNNKIT_TASKS=/path/a.js,/path/b.js adds tasks from modules that
 * export `task` (a Task); `registerTask()` does the same from code.
 */
import * as path from 'path';
import { UserError } from '../src/errors';
import type { Task } from '../src/task';

type Loader = () => Promise<Task>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const asTask = (m: { task: unknown }): Task => m.task as Task<any, any> as Task;

const REGISTRY = new Map<string, Loader>([
  ['sentiment', async () => asTask(await import('./sentiment'))],
  ['pos', async () => asTask(await import('./pos'))],
  ['charlm', async () => asTask(await import('./charlm'))],
  ['translate', async () => asTask(await import('./translate'))],
  ['timeseries', async () => asTask(await import('./timeseries'))],
  ['nextframe', async () => asTask(await import('./nextframe'))],
  ['word2vec', async () => asTask(await import('./word2vec'))],
  ['caption', async () => asTask(await import('./caption'))],
]);

/** Adds (or replaces) a task under its name. */
export function registerTask(name: string, loader: Task | Loader): void {
  REGISTRY.set(name, typeof loader === 'function' ? loader : async () => loader);
}

function loadPlugins(): void {
  for (const file of (process.env.RNNKIT_TASKS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    let m: { task?: Task };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      m = require(path.resolve(file)) as { task?: Task };
    } catch (e) {
      // a user's setting: one line (exit 2 for a module that is not there, 1 for one that fails while loading)
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(path.resolve(file))) throw new UserError(`RNNKIT_TASKS: ${file}: no such module`, 2);
      throw new UserError(`RNNKIT_TASKS: ${file}: the module fails to load (${String(err.message).split('\n')[0]})`);
    }
    if (!m.task || typeof m.task.name !== 'string') throw new UserError(`RNNKIT_TASKS: ${file}: the module does not export a task (expected \`exports.task\` with a name)`, 2);
    registerTask(m.task.name, m.task);
  }
}
let pluginsLoaded = false;

/** The registered task names, in registration order. */
export function taskNames(): string[] {
  if (!pluginsLoaded) {
    pluginsLoaded = true;
    loadPlugins();
  }
  return [...REGISTRY.keys()];
}

/** The task registered under `name`, or undefined. */
export async function getTask(name: string): Promise<Task | undefined> {
  taskNames();
  const load = REGISTRY.get(name);
  return load ? load() : undefined;
}
