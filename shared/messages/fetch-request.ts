import { z } from 'zod';
import { IsoDate } from './common.ts';

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
    force: z.object({ from: IsoDate, to: IsoDate }).optional(),
  })
  .strict();
export type FetchRequest = z.infer<typeof FetchRequest>;
