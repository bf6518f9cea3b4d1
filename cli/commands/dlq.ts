import { Argument, type Command, Option } from 'commander';
import type { Config } from '#shared/config.ts';
import { QUEUE_NAMES, type QueueName } from '#shared/ports/queue.ts';
import { type DlqReport, inspectDeadLetters } from '../dead-letters.ts';
import { CliError, ExitCode } from '../errors.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { printJson, withDeps } from './ops-support.ts';

export const formatDlqReport = (report: DlqReport, queues: readonly QueueName[]): string => {
  const lines = [`DLQ depth: ${queues.map((q) => `${q} ${report.depths[q]}`).join(', ')}`];
  for (const m of report.messages) {
    lines.push(
      '',
      `${m.queue}-dlq  ${m.messageId}  ${m.about}`,
      `  received ${m.receiveCount} time${m.receiveCount === 1 ? '' : 's'}, last failed ${m.failedAt ?? 'at an unknown time'}${m.code ? ` [${m.code}]` : ''}`,
      `  reason: ${m.reason}`,
    );
    if (m.body !== undefined) lines.push(`  body: ${m.body}`);
  }
  if (report.messages.length > 0) lines.push('', 'Fix the cause, then move them back with `fredlake redrive`.');
  return `${lines.join('\n')}\n`;
};

export const queueOption = (): Option =>
  new Option('--queue <queue>', 'only this queue (default: all three)').choices([...QUEUE_NAMES]);

interface DlqCliOptions extends CommonOptions {
  queue?: QueueName;
}

export const dlqCommand = (
  config: Config,
  options: { queue?: QueueName; bodies?: boolean; limit?: number } = {},
): Promise<DlqReport> =>
  withDeps(config, (deps) =>
    inspectDeadLetters(deps, {
      queues: options.queue ? [options.queue] : QUEUE_NAMES,
      bodies: options.bodies ?? false,
      limit: options.limit ?? 100,
    }),
  );

export const registerDlq = (program: Command): void => {
  withCommonOptions(
    program
      .command('dlq')
      .description(
        'The dead-letter queues: the depth of each and its messages with the reason they last failed and how often ' +
          'they were received (`peek` also shows the bodies).',
      )
      .addArgument(
        new Argument('[action]', 'list, or peek to show message bodies too').choices(['list', 'peek']).default('list'),
      )
      .addOption(queueOption())
      .option('--json', 'print the messages as JSON'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  npx fredlake dlq list\n  npx fredlake dlq peek --queue fetch --json\n\n' +
        'Exit codes: 0 every DLQ empty, 1 a DLQ holds messages, 2 bad arguments.',
    )
    .action(async (action: 'list' | 'peek', options: DlqCliOptions) => {
      const config = configFrom(options);
      const queues = options.queue ? [options.queue] : [...QUEUE_NAMES];
      const report = await dlqCommand(config, {
        ...(options.queue ? { queue: options.queue } : {}),
        bodies: action === 'peek',
      });
      if (options.json) printJson(report);
      else process.stdout.write(formatDlqReport(report, queues));
      const total = queues.reduce((sum, q) => sum + report.depths[q], 0);
      if (total > 0) {
        throw new CliError(
          `${total} message${total === 1 ? '' : 's'} in the DLQs: fix the cause, then \`fredlake redrive\``,
          ExitCode.problem,
        );
      }
    });
};
