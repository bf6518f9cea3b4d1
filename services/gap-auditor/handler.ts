import type { Deps } from '#shared/deps.ts';
import { auditGaps, type GapReport } from './audit-gaps.ts';

/** Invoked by the nightly EventBridge rule (the event carries nothing the audit needs). */
export const createGapAuditorHandler = (deps: Deps) => async (): Promise<GapReport> => {
  const report = await auditGaps(
    { ...deps, writeQueue: deps.queues.write, fetchQueue: deps.queues.fetch },
    { repair: true },
  );
  deps.metrics.flush();
  return report;
};
