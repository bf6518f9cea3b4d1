import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Config, loadConfig } from '#shared/config.ts';
import { isValidIsoDate } from '#shared/domain/calendar.ts';

export interface CommonOptions {
  backend?: 'local' | 'aws';
  dataDir?: string;
  verbose?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** --backend, --data-dir and --verbose, on every command. */
export const withCommonOptions = (command: Command): Command =>
  command
    .addOption(
      new Option(
        '--backend <backend>',
        'local: the embedded default; aws: the deployed stack (names from FREDLAKE_* env)',
      )
        .choices(['local', 'aws'])
        .env('FREDLAKE_BACKEND')
        .default('local'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'data directory of the embedded default')
        .env('FREDLAKE_DATA_DIR')
        .default('./.fredlake'),
    )
    .option('--verbose', 'log progress and print stacks on errors');

/** The configuration: the environment, with the command-line flags folded in. */
export const configFrom = (options: CommonOptions, env: NodeJS.ProcessEnv = process.env): Config =>
  loadConfig({
    ...env,
    ...(options.backend ? { FREDLAKE_BACKEND: options.backend } : {}),
    ...(options.dataDir ? { FREDLAKE_DATA_DIR: options.dataDir } : {}),
    ...(options.verbose ? { LOG_LEVEL: 'INFO' } : {}),
  });

/** Commander argument parser for a real calendar date (2024-02-30 is refused). */
export const parseDate = (value: string): string => {
  if (!isValidIsoDate(value))
    throw new InvalidArgumentError(`expected a real calendar date YYYY-MM-DD, got "${value}"`);
  return value;
};
