import * as z from 'zod';
import { IsoDate } from './common.ts';

const FiniteNumber = z.number().refine(Number.isFinite, { message: 'expected a finite number' });

/** One partition to write: the whole row travels in the message, so the writer needs no other read. */
export const WriteRequest = z
  .object({
    version: z.literal(1),
    runId: z.string().min(1).max(64),
    date: IsoDate,
    row: z
      .object({
        sp500_daily_price: FiniteNumber,
        sp500_daily_percentage_change: FiniteNumber,
        cpi_level: FiniteNumber.nullable(),
        cpi_annual_percentage_change: FiniteNumber.nullable(),
      })
      .strict(),
    rowHash: z.string().regex(/^[0-9a-f]{64}$/),
    /** Raw object keys the row was computed from (provenance). */
    sources: z.array(z.string()).max(100),
    /** Rewrite even when the stored file holds the same row hash (backfill). */
    force: z.boolean().optional(),
  })
  .strict();
export type WriteRequest = z.infer<typeof WriteRequest>;
