/**
 * Cooperative stopping. The CLI owns the SIGINT handler and calls
 * `requestStop()`; the loop notices after the current step, saves DIR/last and
 * returns `stopped: 'interrupted'` (the CLI then exits 130). An AbortSignal
 * works the same way (`options.signal = controller.signal`).
 *
 *   const stop = new StopSignal();
 *   process.once('SIGINT', () => stop.requestStop('SIGINT'));
 *   const r = await train(spec, { epochs: 5, signal: stop });
 *   if (r.stopped === 'interrupted') process.exitCode = 130;
 */
import type { StopFlag } from './types';

export class StopSignal implements StopFlag {
  private requested = false;
  /** Why the stop was requested (e.g. 'SIGINT'). */
  reason: string | undefined;

  /** Ask the loop to stop after the current step. Idempotent. */
  requestStop(reason = 'requested'): void {
    if (!this.requested) this.reason = reason;
    this.requested = true;
  }

  get aborted(): boolean {
    return this.requested;
  }
}
