import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { queryLocalLake } from '#shared/adapters/local/duckdb-query.ts';
import { isoDateOf } from '#shared/domain/calendar.ts';
import { startFredServer, TEST_FRED_KEY } from '#test/support/fred-server.ts';
import { CliError, ExitCode } from '../errors.ts';
import { formatTable } from '../format.ts';
import { configFrom } from '../options.ts';
import { formatRunSummary } from '../summary.ts';
import { runLocalFlow } from './run.ts';

interface DemoOptions {
  dataDir?: string;
  verbose?: boolean;
}

const SAMPLE_SQL =
  'SELECT date, sp500_daily_price, sp500_daily_percentage_change, cpi_level, cpi_annual_percentage_change FROM fred_daily ORDER BY date DESC LIMIT 5';

export const registerDemo = (program: Command): void => {
  program
    .command('demo')
    .description(
      'See fredlake work with no key and no internet: runs the flow against a synthetic FRED on 127.0.0.1 into a fresh data directory.',
    )
    .option('--data-dir <dir>', 'an empty or new directory for the demo data (default: a new temporary directory)')
    .option('--verbose', 'log progress and print stacks on errors')
    .addHelpText(
      'after',
      '\nExample:\n  npx fredlake demo\n\nExit codes: 0 done, 1 the flow failed, 2 the directory is not empty.',
    )
    .action(async (options: DemoOptions) => {
      const dataDir = options.dataDir ? resolve(options.dataDir) : await mkdtemp(join(tmpdir(), 'fredlake-demo-'));
      const existing = await readdir(dataDir).catch(() => []);
      if (existing.length > 0) {
        throw new CliError(`--data-dir ${dataDir} is not empty: the demo needs a fresh directory`, ExitCode.usage);
      }
      const server = await startFredServer({ today: isoDateOf(new Date()) });
      try {
        const config = configFrom(
          { dataDir, ...(options.verbose ? { verbose: true } : {}) },
          { ...process.env, FRED_API_URL: server.url, FRED_API_KEY: TEST_FRED_KEY },
        );
        process.stdout.write(`synthetic FRED listening at ${server.url}\n`);
        const summary = await runLocalFlow(config, { version: 1, reason: 'demo' });
        process.stdout.write(formatRunSummary(summary, config));
        if (!summary.ok) throw new CliError('the demo flow left messages in a DLQ', ExitCode.problem);
        const sample = await queryLocalLake(dataDir, SAMPLE_SQL);
        process.stdout.write(`\nThe dataset is an ordinary Parquet tree: ${join(dataDir, 'curated', 'fred_daily')}\n`);
        process.stdout.write(`\nnpx fredlake query --data-dir ${dataDir} "${SAMPLE_SQL}"\n\n${formatTable(sample)}`);
      } finally {
        await server.close();
      }
    });
};
