import { Argument, type Command, Option } from 'commander';
import type { Config } from '#shared/config.ts';
import type { Deps } from '#shared/deps.ts';
import { QUEUE_NAMES, type QueueName } from '#shared/ports/queue.ts';
import { CliError, ExitCode } from '../errors.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { printJson, withDeps } from './ops-support.ts';

/**
 * The dead-letter queues, each message with why it failed. SQS keeps no reason, so the batch wrapper records one per
 * failed delivery in the FailureLog (SQLite locally, ops/failures/ on AWS) and this joins the two by message id.
 */
export interface DeadLetterView {
  queue: QueueName;
  messageId: string;
  receiveCount: number;
  /** What the message asks for, in a few words (`fetch request (manual)`, `write 2024-01-02`). */
  about: string;
  code: string | undefined;
  reason: string;
  failedAt: string | undefined;
  sentAt: string | undefined;
  body?: string;
}

export interface DlqReport {
  depths: Record<QueueName, number>;
  messages: DeadLetterView[];
  /** Queues whose DLQ this backend cannot list without receiving (SQS): only the depth is known. */
  unlisted: QueueName[];
}

interface PeekableQueue {
  peek?: (limit: number) => Promise<{ messageId: string; body: string; receiveCount: number; sentTimestamp: number }[]>;
}

/** A dead letter's body in a few words. */
export const describeBody = (queue: QueueName, body: string): string => {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    if (queue === 'fetch') {
      const force = json.force as { from?: string; to?: string } | undefined;
      return `fetch request (${String(json.reason)}${force ? `, force ${force.from}..${force.to}` : ''})`;
    }
    if (queue === 'write') return `write ${String(json.date)} (run ${String(json.runId)})`;
    const records = json.Records as { s3?: { object?: { key?: string } } }[] | undefined;
    const key = records?.[0]?.s3?.object?.key;
    return key ? `transform ${decodeURIComponent(key)}` : 'transform event';
  } catch {
    return 'not JSON';
  }
};

export const inspectDeadLetters = async (
  deps: Deps,
  options: { queues?: readonly QueueName[]; bodies?: boolean; limit?: number } = {},
): Promise<DlqReport> => {
  const queues = options.queues ?? QUEUE_NAMES;
  const depths = { fetch: 0, transform: 0, write: 0 } as Record<QueueName, number>;
  const messages: DeadLetterView[] = [];
  const unlisted: QueueName[] = [];
  for (const queue of queues) {
    const dlq = deps.queues[queue].deadLetter;
    const depth = await dlq.depth();
    depths[queue] = depth.visible + depth.inFlight;
    const peekable = dlq as unknown as PeekableQueue;
    if (!peekable.peek) {
      if (depths[queue] > 0) unlisted.push(queue);
      continue;
    }
    const peeked = await peekable.peek(options.limit ?? 100);
    const failures = await deps.failures.lastFailures(peeked.map((m) => m.messageId));
    for (const message of peeked) {
      const failure = failures.get(message.messageId);
      messages.push({
        queue,
        messageId: message.messageId,
        receiveCount: failure?.receiveCount ?? message.receiveCount,
        about: describeBody(queue, message.body),
        code: failure?.code,
        reason: failure?.reason ?? 'no failure recorded',
        failedAt: failure?.at,
        sentAt: new Date(message.sentTimestamp).toISOString(),
        ...(options.bodies ? { body: message.body } : {}),
      });
    }
  }
  return { depths, messages, unlisted };
};

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
  for (const q of report.unlisted) lines.push(`${q}-dlq: this backend cannot list messages without receiving them`);
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
