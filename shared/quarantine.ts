import * as z from 'zod';
import { QUARANTINE_PREFIX, quarantineKey } from './domain/keys.ts';
import { QUALITY_RULES, type QualityRule, type QualityViolation } from './domain/quality.ts';
import { RawInvalidError } from './errors.ts';
import type { ObjectStore } from './ports/object-store.ts';

/**
 * Quarantine records: a fetch run a data-quality gate refused. Its raw files stay where they are (the manifest still
 * lists them); the record names each violation by date and rule. Nothing of the run is published until a person
 * accepts it (`fredlake run --accept-quarantined <runId>`), which marks the record accepted and re-enqueues the
 * manifest's transform: the transformer then applies the run without the gates.
 */
const Violation = z.object({
  date: z.string(),
  rule: z.enum(Object.values(QUALITY_RULES) as [QualityRule, ...QualityRule[]]),
  detail: z.string(),
});

export const QuarantineRecord = z.object({
  version: z.literal(1),
  runId: z.string().min(1),
  manifestKey: z.string().min(1),
  status: z.enum(['quarantined', 'accepted']),
  quarantinedAt: z.string(),
  acceptedAt: z.string().optional(),
  violations: z.array(Violation),
});
export type QuarantineRecord = z.infer<typeof QuarantineRecord>;

/** The run's quarantine record, or undefined when it has none. */
export const readQuarantine = async (store: ObjectStore, runId: string): Promise<QuarantineRecord | undefined> => {
  const key = quarantineKey(runId);
  const object = await store.get(key);
  if (!object) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(object.body));
  } catch {
    throw new RawInvalidError(`Quarantine record ${key} is not JSON`, { key });
  }
  const parsed = QuarantineRecord.safeParse(json);
  if (!parsed.success) {
    throw new RawInvalidError(`Quarantine record ${key} is invalid: ${parsed.error.issues[0]?.message}`, { key });
  }
  return parsed.data;
};

export const writeQuarantine = async (store: ObjectStore, record: QuarantineRecord): Promise<void> => {
  await store.put(quarantineKey(record.runId), JSON.stringify(record, null, 2), { contentType: 'application/json' });
};

export const quarantineRecord = (
  runId: string,
  manifestKey: string,
  violations: readonly QualityViolation[],
  now: Date,
): QuarantineRecord => ({
  version: 1,
  runId,
  manifestKey,
  status: 'quarantined',
  quarantinedAt: now.toISOString(),
  violations: [...violations],
});

/** Run ids with a quarantine record that is not accepted, sorted. */
export const listQuarantinedRuns = async (store: ObjectStore): Promise<QuarantineRecord[]> => {
  const records: QuarantineRecord[] = [];
  for (const object of await store.list(QUARANTINE_PREFIX)) {
    const runId = object.key.slice(QUARANTINE_PREFIX.length, -'.json'.length);
    const record = await readQuarantine(store, runId);
    if (record?.status === 'quarantined') records.push(record);
  }
  return records.sort((a, b) => a.runId.localeCompare(b.runId));
};
