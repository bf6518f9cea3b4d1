import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PipelineQueueProps {
  /** At least 6x the consuming function's timeout (plus its batching window), as AWS advises for SQS event sources. */
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/** DLQs keep a message 14 days (the SQS maximum): time to read `ops/failures/` and redrive. */
export const DLQ_RETENTION = Duration.days(14);
/** Shorter than the DLQ's: a message keeps its enqueue time when it moves, so the DLQ must keep it longer. */
export const QUEUE_RETENTION = Duration.days(4);

/**
 * One stage's work queue and its dead-letter queue: both encrypted (SQS-managed SSE, which EventBridge and S3 can
 * send to without a key policy) and both refusing requests that are not TLS.
 */
export class PipelineQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: PipelineQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
