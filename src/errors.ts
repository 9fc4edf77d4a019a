/**
 * Errors a user can cause (bad file, bad option value). The CLI prints their
 * message as one line, without a stack trace, and exits with `exitCode`.
 */
export class UserError extends Error {
  /** 1 for bad input data, 2 for bad usage (options). */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
