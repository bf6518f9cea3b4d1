import { randomBytes } from 'node:crypto';

let lastIssuedMs = 0;

/**
 * Run ids sort by time, to the millisecond: `20261126T142300123Z-a1b2c3`. The transformer and the writer compare
 * them to refuse an older run over a newer one, so two runs in the same second must still sort in the order they
 * were made: within a process each id is at least one millisecond after the previous one (also under a fixed
 * test clock). The random suffix separates processes.
 */
export const newRunId = (now: Date, random: () => string = () => randomBytes(3).toString('hex')): string => {
  const ms = Math.max(now.getTime(), lastIssuedMs + 1);
  lastIssuedMs = ms;
  return `${new Date(ms).toISOString().replace(/[-:.]/g, '')}-${random()}`;
};

/** A run id: milliseconds since this format began; seconds before (both still sort by time within their format). */
export const RUN_ID_PATTERN = /^\d{8}T\d{6}(\d{3})?Z-[0-9a-z]{1,32}$/;
