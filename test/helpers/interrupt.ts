/** Runs a CLI as a child process and sends it SIGINT once its JSON output reports the first epoch (the Ctrl-C tests). */
import { spawn } from 'child_process';

export async function interruptAfterFirstEpoch(args: string[], cwd: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, args, { cwd });
  let stdout = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (/"event":"epoch"/.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    child.on('exit', (c) => resolve(c));
  });
  return { code, stdout };
}
