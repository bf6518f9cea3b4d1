import { randomBytes } from 'node:crypto';

/** Run ids sort by time: `20261126T142300Z-a1b2c3`. */
export const newRunId = (now: Date, random: () => string = () => randomBytes(3).toString('hex')): string =>
  `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')}-${random()}`;

export const RUN_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-z]{1,32}$/;
