import * as z from 'zod';
import { IsoDate } from './common.ts';

/** FRED's earliest observation date: nothing before it can be asked for. */
export const FRED_EARLIEST_DATE = '1776-07-04';

/**
 * Asks the fetcher for one fetch run. The EventBridge schedule sends `{"version":1,"reason":"schedule"}`;
 * backfill and the gap auditor send others. Without a runId the fetcher derives one from the message.
 */
export const FetchRequest = z
  .object({
    version: z.literal(1),
    reason: z.enum(['schedule', 'manual', 'backfill', 'audit', 'demo']),
    runId: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,64}$/)
      .optional(),
    /** Backfill: rewrite every date of [from, to] even where the stored row hash matches. */
    force: z
      .object({ from: IsoDate, to: IsoDate })
      .refine((range) => range.from <= range.to, { message: 'from must not be after to' })
      .refine((range) => range.from >= FRED_EARLIEST_DATE, {
        message: `from must not be before ${FRED_EARLIEST_DATE}, FRED's earliest date`,
      })
      .optional(),
  })
  .strict();
export type FetchRequest = z.infer<typeof FetchRequest>;
