import type { Queue, QueueName } from '#shared/ports/queue.ts';

/**
 * A one-line progress bar on a terminal: `writing  [██████░░░░░░]  1,234 / 3,650 dates  34%`, redrawn in place
 * with a carriage return. It draws only on a TTY (stderr by default), so piped output, logs and `--json` stay clean.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBar {
  /** Redraws the bar: `done` of `total` (total 0: the phase has no count yet, only the label shows). */
  update(label: string, done: number, total: number): void;
  /** Clears the line; later updates are ignored. */
  finish(): void;
}

export const BAR_FULL = '█';
export const BAR_EMPTY = '░';
const CLEAR_LINE = '\x1b[K';

const count = (n: number): string => n.toLocaleString('en-US');

/** The bar's text for a terminal `columns` wide (pure: tests call it directly). */
export const renderProgressBar = (label: string, done: number, total: number, columns = 80): string => {
  const head = label.padEnd(12);
  if (total <= 0) return `${head} ...`.slice(0, columns - 1);
  const shown = Math.min(done, total);
  const ratio = shown / total;
  const tail = `  ${count(shown)} / ${count(total)} dates  ${Math.floor(ratio * 100)}%`;
  const width = Math.max(10, Math.min(40, columns - head.length - tail.length - 4));
  const full = Math.round(ratio * width);
  return `${head} [${BAR_FULL.repeat(full)}${BAR_EMPTY.repeat(width - full)}]${tail}`;
};

const silent: ProgressBar = { update: () => {}, finish: () => {} };

export interface ProgressOptions {
  stream?: ProgressStream;
  /** false forces the bar off (`--quiet`, `--json`, `--verbose`); otherwise it shows exactly when the stream is a TTY. */
  enabled?: boolean;
}

export const createProgressBar = (options: ProgressOptions = {}): ProgressBar => {
  const stream = options.stream ?? process.stderr;
  if (options.enabled === false || stream.isTTY !== true) return silent;
  let last = '';
  let finished = false;
  return {
    update: (label, done, total) => {
      if (finished) return;
      const line = renderProgressBar(label, done, total, stream.columns || 80);
      if (line === last) return;
      last = line;
      stream.write(`\r${line}${CLEAR_LINE}`);
    },
    finish: () => {
      if (finished) return;
      finished = true;
      if (last !== '') stream.write(`\r${CLEAR_LINE}`);
    },
  };
};

export type OnBatch = (queue: QueueName, succeeded: number, failed: number) => void;

/**
 * Feeds a bar from drainQueues' onBatch: dates written (write messages settled) against the dates expected (those
 * settled plus those still in the write queue, which the transformer fills in one go).
 */
export const trackWrites = (bar: ProgressBar, writeQueue: Pick<Queue, 'depth'>): OnBatch => {
  let written = 0;
  let phase = 'fetching';
  bar.update(phase, 0, 0);
  return (queue, succeeded) => {
    if (queue === 'fetch') phase = 'transforming';
    if (queue === 'transform' || queue === 'write') phase = 'writing';
    if (queue === 'write') written += succeeded;
    const done = written;
    const label = phase;
    writeQueue.depth().then(
      (depth) => {
        const pending = depth.visible + depth.inFlight + depth.delayed;
        bar.update(label, done, pending + done > 0 ? done + pending : 0);
      },
      () => bar.update(label, done, 0),
    );
  };
};
