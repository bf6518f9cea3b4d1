/**
 * Why a message failed. SQS keeps no failure reason, so the batch wrapper records one per failed delivery
 * (AWS: an object under `ops/failures/`; local: a SQLite table) and `fredlake dlq` joins it with the DLQ.
 */
export interface FailureRecord {
  queue: string;
  messageId: string;
  code: string;
  reason: string;
  retryable: boolean;
  receiveCount: number;
  at: string;
}

export interface FailureLog {
  record(failure: FailureRecord): Promise<void>;
  /** The last failure recorded for each of the given message ids. */
  lastFailures(messageIds: readonly string[]): Promise<Map<string, FailureRecord>>;
}
