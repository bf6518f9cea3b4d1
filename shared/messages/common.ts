import * as z from 'zod';
import { isValidIsoDate } from '../domain/calendar.ts';

/** A real calendar date, YYYY-MM-DD (2024-02-30 is refused). */
export const IsoDate = z.string().refine(isValidIsoDate, { message: 'expected a real calendar date YYYY-MM-DD' });
