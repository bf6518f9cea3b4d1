import { type Command, Option } from 'commander';
import { formatCsv, formatJson, formatTable } from '../format.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { withDeps } from './ops-support.ts';

interface QueryOptions extends CommonOptions {
  format: 'table' | 'csv' | 'json';
}

export const registerQuery = (program: Command): void => {
  withCommonOptions(
    program
      .command('query')
      .description(
        'SQL over the dataset fred_daily(date DATE and the four DOUBLE columns): DuckDB locally, Athena with --backend aws.',
      )
      .argument('<sql>', 'the SQL to run')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table')),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx fredlake query "SELECT date, sp500_daily_price FROM fred_daily ORDER BY date DESC LIMIT 5"\n\n' +
        'Exit codes: 0 done, 2 invalid SQL or no dataset yet.',
    )
    .action(async (sql: string, options: QueryOptions) => {
      const config = configFrom(options);
      const result = await withDeps(config, (deps) => deps.sql.query(sql));
      const format = { table: formatTable, csv: formatCsv, json: formatJson }[options.format];
      process.stdout.write(format(result));
    });
};
