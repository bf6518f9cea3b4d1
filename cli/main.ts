import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.ts';
import { registerAuditRaw } from './commands/audit-raw.ts';
import { registerBackfill } from './commands/backfill.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerQuery } from './commands/query.ts';
import { registerRedrive } from './commands/redrive.ts';
import { registerReport } from './commands/report.ts';
import { registerRun } from './commands/run.ts';
import { registerStatus } from './commands/status.ts';
import { ExitCode, reportError } from './errors.ts';

// `fredlake ... | head` closes the pipe before we finish writing: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('fredlake')
  .description(
    'Keeps the fred_daily dataset (S&P 500 and CPI from FRED, one Parquet partition per day) in a data lake.\n' +
      'The embedded default keeps everything in one data directory (--data-dir, FREDLAKE_DATA_DIR, default ./.fredlake);\n' +
      'with --backend aws (FREDLAKE_BACKEND) the same commands work on the deployed stack (S3, SQS, Glue, Athena).',
  )
  .version('0.1.0')
  .exitOverride();

registerRun(program);
registerDemo(program);
registerQuery(program);
registerStatus(program);
registerDlq(program);
registerRedrive(program);
registerBackfill(program);
registerAudit(program);
registerAuditRaw(program);
registerReport(program);

program.addHelpText(
  'after',
  '\nExit codes: 0 success, 1 a problem was found (DLQ, gaps, corrupt files), 2 bad arguments or configuration,\n' +
    '3 another fredlake process holds the data directory, 4 unexpected error (rerun with --verbose).',
);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its one-line message (or the help / version text).
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    reportError(error, process.argv.includes('--verbose'));
  }
}
