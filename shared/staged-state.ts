import * as z from 'zod';
import { STATE_KEY } from './domain/keys.ts';
import type { Observation } from './domain/observation.ts';
import { RawInvalidError } from './errors.ts';
import type { ObjectStore } from './ports/object-store.ts';

/**
 * The staged state: every observation ever received per series (history is kept: FRED's SP500 window rolls forward,
 * old dates stay here), and the row hash of every date as last published. One object, written atomically by the
 * transformer only after all of a run's write messages are sent.
 */
const ObservationTuple = z.tuple([z.string(), z.number().nullable()]);
const SeriesHistory = z.object({ seriesId: z.string(), observations: z.array(ObservationTuple) });

export const StagedState = z.object({
  version: z.literal(1),
  updatedAt: z.string(),
  /** The newest fetch run applied; an older manifest arriving late is not applied over it. */
  lastRunId: z.string(),
  /** Recently applied run ids (newest last), so a redelivered transform is recognised. */
  appliedRuns: z.array(z.string()),
  series: z.object({ sp500: SeriesHistory, cpi: SeriesHistory }),
  /** date -> row hash, as published. */
  rows: z.record(z.string(), z.string()),
});
export type StagedState = z.infer<typeof StagedState>;

export const toObservations = (tuples: readonly (readonly [string, number | null])[]): Observation[] =>
  tuples.map(([date, value]) => ({ date, value }));

export const toTuples = (observations: readonly Observation[]): [string, number | null][] =>
  observations.map((o) => [o.date, o.value]);

export const loadState = async (store: ObjectStore): Promise<StagedState | undefined> => {
  const object = await store.get(STATE_KEY);
  if (!object) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(object.body));
  } catch {
    throw new RawInvalidError(`Staged state ${STATE_KEY} is not JSON; restore it from a previous version or rerun`, {
      key: STATE_KEY,
    });
  }
  const parsed = StagedState.safeParse(json);
  if (!parsed.success) {
    throw new RawInvalidError(`Staged state ${STATE_KEY} is invalid: ${parsed.error.issues[0]?.message}`, {
      key: STATE_KEY,
    });
  }
  return parsed.data;
};

export const saveState = async (store: ObjectStore, state: StagedState): Promise<void> => {
  await store.put(STATE_KEY, JSON.stringify(state), { contentType: 'application/json' });
};
