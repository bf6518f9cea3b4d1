import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '#shared/config.ts';
import { CliError, ExitCode } from '../errors.ts';
import { plural } from '../format.ts';
import { type ReportData, type ReportOptions, readLakeReport } from '../lake-report.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { buildReportHtml } from '../report-html.ts';
import { formatDates, parsePositiveInt, printJson } from './ops-support.ts';

export interface ReportOutcome {
  file: string;
  data: ReportData;
}

/** Gathers the report through the ports and DuckDB and writes the page (default `<data-dir>/report.html`). */
export const reportCommand = async (
  config: Config,
  options: ReportOptions & { out?: string } = {},
): Promise<ReportOutcome> => {
  if (config.backend !== 'local') {
    throw new CliError(
      'fredlake report reads the dataset with DuckDB from the data directory (the embedded default); on AWS use Athena and the CloudWatch dashboards',
      ExitCode.usage,
    );
  }
  const data = await readLakeReport(config, options);
  const file = resolve(options.out ?? join(config.dataDir, 'report.html'));
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, buildReportHtml(data));
  return { file, data };
};

export const formatReportOutcome = ({ file, data }: ReportOutcome): string => {
  const dlq = Object.values(data.dlq.depths).reduce((a, b) => a + b, 0);
  const lines = [
    `report written to ${file}`,
    `  dataset   ${plural(data.days.length, 'date')}${data.days[0] ? ` (${data.days[0].date} .. ${data.days.at(-1)?.date})` : ''}`,
    `  missing   ${data.missing.length === 0 ? 'none' : `${data.missing.length}: ${formatDates(data.missing)}`}`,
    `  fresh     S&P 500 ${data.freshness.sp500.freshness}, CPI ${data.freshness.cpi.freshness}`,
    `  DLQs      ${plural(dlq, 'message')}`,
  ];
  return `${lines.join('\n')}\n`;
};

interface ReportCliOptions extends CommonOptions {
  out?: string;
  revisedRuns?: number;
}

export const registerReport = (program: Command): void => {
  withCommonOptions(
    program
      .command('report')
      .description(
        'Write one self-contained HTML page (no network request): a coverage calendar with missing, forward-filled ' +
          'and revised days, the S&P 500 and CPI year over year with hover values, the last runs, DLQs with reasons, ' +
          "freshness against FRED's calendar and the missing dates.",
      )
      .option('--out <file>', 'where to write the page (default: <data-dir>/report.html)')
      .option('--revised-runs <n>', 'count rewrites by the last n fetch runs as recent revisions', parsePositiveInt, 5)
      .option('--json', 'print the gathered data as JSON (the page is written all the same)'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx fredlake report --data-dir ./.fredlake && xdg-open ./.fredlake/report.html\n\n' +
        'Exit codes: 0 the page was written (missing dates are in it, not an error), 2 bad arguments or no data directory.',
    )
    .action(async (options: ReportCliOptions) => {
      const config = configFrom(options);
      const outcome = await reportCommand(config, {
        ...(options.out ? { out: options.out } : {}),
        revisedRuns: options.revisedRuns ?? 5,
      });
      if (options.json) printJson({ file: outcome.file, ...outcome.data });
      else process.stdout.write(formatReportOutcome(outcome));
    });
};
