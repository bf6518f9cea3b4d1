import { describeError, PipelineError } from '#shared/errors.ts';

/**
 * Exit codes (documented in the README and in --help):
 *   0  success
 *   1  the command ran but found a problem (messages in a DLQ, gaps, corrupt raw files)
 *   2  invalid arguments or configuration
 *   3  another fredlake process holds the data directory
 *   4  unexpected error (a bug: rerun with --verbose and report it)
 */
export const ExitCode = { ok: 0, problem: 1, usage: 2, locked: 3, unexpected: 4 } as const;

/** A command's expected failure: one line for the person, an exit code for the machine. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const exitCodeOf = (error: unknown): number => {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof PipelineError) {
    if (error.code === 'CONFIG_INVALID') return ExitCode.usage;
    if (error.code === 'LOCKED') return ExitCode.locked;
    return ExitCode.problem;
  }
  return ExitCode.unexpected;
};

/** Prints the error as one line (the stack only with --verbose) and sets the exit code. */
export const reportError = (error: unknown, verbose: boolean): void => {
  const line = describeError(error);
  process.stderr.write(`fredlake: ${line}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exitCode = exitCodeOf(error);
};
