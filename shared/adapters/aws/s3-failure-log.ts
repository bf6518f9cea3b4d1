import { FAILURES_PREFIX, failureKey } from '#shared/domain/keys.ts';
import type { FailureLog, FailureRecord } from '#shared/ports/failure-log.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';

const PARALLEL_READS = 16;

const parseRecord = (bytes: Uint8Array): FailureRecord | undefined => {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<FailureRecord>;
    if (typeof value.messageId !== 'string' || typeof value.queue !== 'string') return undefined;
    return value as FailureRecord;
  } catch {
    return undefined;
  }
};

/**
 * Why messages failed, as one JSON object per message under `ops/failures/<queue>/<messageId>.json` (SQS keeps no
 * reason). Each failure overwrites the message's object, so the object is always the last failure.
 */
export class S3FailureLog implements FailureLog {
  constructor(private readonly store: ObjectStore) {}

  async record(failure: FailureRecord): Promise<void> {
    await this.store.put(failureKey(failure.queue, failure.messageId), JSON.stringify(failure), {
      contentType: 'application/json',
    });
  }

  /**
   * Finds the ids under every queue's folder (the caller knows message ids, not queues: a DLQ message keeps the id
   * it had on its source queue). When one id failed on several queues, the latest `at` wins.
   */
  async lastFailures(messageIds: readonly string[]): Promise<Map<string, FailureRecord>> {
    const wanted = new Set(messageIds);
    const result = new Map<string, FailureRecord>();
    if (wanted.size === 0) return result;

    const keys = (await this.store.list(FAILURES_PREFIX))
      .map((o) => o.key)
      .filter((key) => {
        const file = key.slice(key.lastIndexOf('/') + 1);
        return file.endsWith('.json') && wanted.has(file.slice(0, -'.json'.length));
      });
    for (let i = 0; i < keys.length; i += PARALLEL_READS) {
      const objects = await Promise.all(keys.slice(i, i + PARALLEL_READS).map((key) => this.store.get(key)));
      for (const object of objects) {
        const failure = object && parseRecord(object.body);
        if (!failure || !wanted.has(failure.messageId)) continue;
        const known = result.get(failure.messageId);
        if (!known || known.at < failure.at) result.set(failure.messageId, failure);
      }
    }
    return result;
  }
}
