import * as z from 'zod';
import { RawInvalidError } from './errors.ts';
import { IsoDate } from './messages/common.ts';
import type { ObjectStore } from './ports/object-store.ts';

/**
 * The raw landing zone. A fetch run writes each FRED response exactly as received under raw/runs/<runId>/..., then
 * a manifest (raw/manifests/<runId>.json) listing every file with its sha256, last: a run without a manifest is
 * incomplete and is never transformed. The manifest's creation is what starts the transform.
 */
export const SERIES_ROLES = ['sp500', 'cpi'] as const;
export type SeriesRole = (typeof SERIES_ROLES)[number];

export const ManifestFile = z.object({
  key: z.string().min(1),
  role: z.enum(SERIES_ROLES),
  seriesId: z.string().min(1),
  page: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0),
  status: z.number().int(),
  fetchedAt: z.string(),
  lastModified: z.string().optional(),
  observationCount: z.number().int().min(0),
  params: z.record(z.string(), z.string()),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const Manifest = z.object({
  version: z.literal(1),
  runId: z.string().min(1),
  createdAt: z.string(),
  reason: z.string(),
  force: z.object({ from: IsoDate, to: IsoDate }).optional(),
  files: z.array(ManifestFile).min(1),
});
export type Manifest = z.infer<typeof Manifest>;

/** Reads and validates a manifest; a missing or malformed one is a permanent RawInvalidError naming the key. */
export const readManifest = async (store: ObjectStore, key: string): Promise<Manifest> => {
  const object = await store.get(key);
  if (!object) throw new RawInvalidError(`Manifest ${key} does not exist`, { key });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(object.body));
  } catch {
    throw new RawInvalidError(`Manifest ${key} is not JSON`, { key });
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RawInvalidError(`Manifest ${key} is invalid: ${issue?.path.join('.') || 'manifest'}: ${issue?.message}`, {
      key,
    });
  }
  return parsed.data;
};
