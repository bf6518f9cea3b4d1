import { CfnOutput, Duration, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DATASET } from '#shared/domain/keys.ts';
import { METRICS_NAMESPACE } from '#shared/metric-names.ts';
import { LakeAccess, Zone } from './lake-access.ts';
import { LakeCatalog } from './lake-catalog.ts';
import { LakeStorage } from './lake-storage.ts';
import { Monitoring } from './monitoring.ts';
import { PipelineFunction, type Stage } from './pipeline-function.ts';
import { PipelineQueue } from './pipeline-queue.ts';
import { StackOutput } from './stack-outputs.ts';

export interface FunctionSettings {
  readonly timeout?: Duration | undefined;
  readonly memorySize?: number | undefined;
}

export interface FredlakeStackProps extends StackProps {
  /** The daily fetch (UTC). Default: 01:30, after FRED publishes the previous day's SP500 close (~00:11 UTC). */
  readonly fetchSchedule?: string | undefined;
  /** The nightly gap audit (UTC). Default: 04:00. */
  readonly auditSchedule?: string | undefined;
  /** Receives before a message goes to its DLQ; at least 5. Default 5. */
  readonly maxReceiveCount?: number | undefined;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string | undefined;
  /** Alarm when no partition was written for this many days (1-7). Default 4: a long weekend writes nothing. */
  readonly freshnessDays?: number | undefined;
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined;
  readonly logRetention?: RetentionDays | undefined;
  /** Default `fredlake`. Glue database names are account-wide per region: change it for a second deployment. */
  readonly glueDatabaseName?: string | undefined;
  /** Default `fredlake`. */
  readonly athenaWorkgroupName?: string | undefined;
  readonly functions?: Partial<Record<Stage, FunctionSettings>> | undefined;
}

export const DEFAULT_FETCH_SCHEDULE = 'cron(30 1 * * ? *)';
export const DEFAULT_AUDIT_SCHEDULE = 'cron(0 4 * * ? *)';
/** One service name for every function: Powertools puts it on each metric as the `service` dimension. */
export const SERVICE_NAME = 'fredlake';
/** The placeholder the FRED key secret is created with; the operator replaces it (see README). */
export const FRED_KEY_PLACEHOLDER = 'REPLACE-WITH-YOUR-FRED-API-KEY';

interface ResolvedSettings {
  readonly timeout: Duration;
  readonly memorySize: number;
}

const FUNCTION_DEFAULTS: Record<Stage, ResolvedSettings> = {
  // Pages through FRED with retries and a rate limit: minutes, not seconds.
  fetcher: { timeout: Duration.minutes(5), memorySize: 512 },
  transformer: { timeout: Duration.minutes(2), memorySize: 1024 },
  // parquet-wasm: memory buys CPU for encoding.
  writer: { timeout: Duration.minutes(2), memorySize: 1024 },
  'gap-auditor': { timeout: Duration.minutes(5), memorySize: 512 },
};

/** The writer waits up to this long to fill a batch of 10 dates (a backfill sends thousands). */
const WRITER_BATCHING_WINDOW = Duration.seconds(5);

const schedule = (expression: string, name: string): Schedule => {
  if (!/^(cron|rate)\(.+\)$/.test(expression)) {
    throw new Error(
      `${name} must be an EventBridge schedule expression such as cron(30 1 * * ? *), got "${expression}".`,
    );
  }
  return Schedule.expression(expression);
};

/** Visibility timeout of a queue consumed by a function: 6x its timeout plus its batching window (AWS guidance). */
const visibilityFor = (timeout: Duration, batchingWindow: Duration = Duration.seconds(0)): Duration =>
  Duration.seconds(timeout.toSeconds() * 6 + batchingWindow.toSeconds());

/**
 * fredlake on AWS, env-agnostic (synthesizes with no account or credentials):
 * EventBridge -> fetch queue -> fetcher -> raw/ (S3) -> manifest notification -> transform queue -> transformer
 * -> write queue (one message per date) -> writer -> curated/ Parquet + Glue partitions; a nightly gap-auditor.
 */
export class FredlakeStack extends Stack {
  readonly storage: LakeStorage;
  readonly catalog: LakeCatalog;
  readonly queues: Record<'fetch' | 'transform' | 'write', PipelineQueue>;
  readonly functions: Record<Stage, PipelineFunction>;
  readonly monitoring: Monitoring;
  readonly fredApiKeySecret: Secret;

  constructor(scope: Construct, id: string, props: FredlakeStackProps = {}) {
    super(scope, id, {
      description: 'fredlake: FRED S&P 500 and CPI daily data lake (S3, SQS, Lambda, Glue, Athena)',
      ...props,
    });
    // Access logs delivered by a bucket policy (not the legacy ACL): works with BucketOwnerEnforced ownership.
    // Set here so the stack is the same whatever cdk.json or the test app says.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 5) {
      // The transformer has reserved concurrency 1: throttled deliveries count as receives, so keep headroom.
      throw new Error(`maxReceiveCount must be a whole number of at least 5, got ${maxReceiveCount}.`);
    }
    const settings = (stage: Stage): ResolvedSettings => ({
      timeout: props.functions?.[stage]?.timeout ?? FUNCTION_DEFAULTS[stage].timeout,
      memorySize: props.functions?.[stage]?.memorySize ?? FUNCTION_DEFAULTS[stage].memorySize,
    });

    // Queues
    this.queues = {
      fetch: new PipelineQueue(this, 'FetchQueue', {
        visibilityTimeout: visibilityFor(settings('fetcher').timeout),
        maxReceiveCount,
      }),
      transform: new PipelineQueue(this, 'TransformQueue', {
        visibilityTimeout: visibilityFor(settings('transformer').timeout),
        maxReceiveCount,
      }),
      write: new PipelineQueue(this, 'WriteQueue', {
        visibilityTimeout: visibilityFor(settings('writer').timeout, WRITER_BATCHING_WINDOW),
        maxReceiveCount,
      }),
    };

    // Storage, catalog, secret
    this.storage = new LakeStorage(this, 'Storage', { manifestQueue: this.queues.transform.queue });
    const bucket = this.storage.bucket;
    this.catalog = new LakeCatalog(this, 'Catalog', {
      bucketName: bucket.bucketName,
      databaseName: props.glueDatabaseName ?? 'fredlake',
      workgroupName: props.athenaWorkgroupName ?? 'fredlake',
    });
    this.fredApiKeySecret = new Secret(this, 'FredApiKey', {
      description:
        'fredlake: the FRED API key, as a plain string. Created with a placeholder: put the real key in with ' +
        '`aws secretsmanager put-secret-value --secret-id <FredApiKeySecretArn output> --secret-string <key>`.',
      // Not a secret: a marker the operator overwrites. The real key never appears in the template.
      secretStringValue: SecretValue.unsafePlainText(FRED_KEY_PLACEHOLDER),
    });
    Validations.of(this.fredApiKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The FRED API key is issued by the St. Louis Fed on its website; no API exists to rotate it, so a ' +
        'rotation Lambda could not produce a new key. The operator replaces it by hand when FRED reissues it.',
    });

    // Functions
    const environment: Record<string, string> = {
      FREDLAKE_BACKEND: 'aws',
      FREDLAKE_BUCKET: bucket.bucketName,
      FREDLAKE_FETCH_QUEUE_URL: this.queues.fetch.queue.queueUrl,
      FREDLAKE_TRANSFORM_QUEUE_URL: this.queues.transform.queue.queueUrl,
      FREDLAKE_WRITE_QUEUE_URL: this.queues.write.queue.queueUrl,
      FREDLAKE_FETCH_DLQ_URL: this.queues.fetch.deadLetterQueue.queueUrl,
      FREDLAKE_TRANSFORM_DLQ_URL: this.queues.transform.deadLetterQueue.queueUrl,
      FREDLAKE_WRITE_DLQ_URL: this.queues.write.deadLetterQueue.queueUrl,
      FREDLAKE_GLUE_DATABASE: this.catalog.databaseName,
      FREDLAKE_GLUE_TABLE: this.catalog.tableName,
      FREDLAKE_ATHENA_WORKGROUP: this.catalog.workgroupName,
      FREDLAKE_MAX_RECEIVE_COUNT: String(maxReceiveCount),
      LOG_LEVEL: props.logLevel ?? 'INFO',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const fn = (stage: Stage, id: string, description: string, extra: Partial<PipelineFunctionExtras> = {}) =>
      new PipelineFunction(this, id, {
        stage,
        description,
        ...settings(stage),
        logRetention,
        environment: { ...environment, ...extra.environment },
        reservedConcurrentExecutions: extra.reservedConcurrentExecutions,
      });
    this.functions = {
      fetcher: fn('fetcher', 'Fetcher', 'fredlake: fetches FRED series into the raw zone', {
        // Only the ARN: the function reads the key from Secrets Manager at cold start.
        environment: { FRED_API_KEY_SECRET_ARN: this.fredApiKeySecret.secretArn },
      }),
      transformer: fn('transformer', 'Transformer', 'fredlake: turns a fetch run into one write request per date', {
        // Runs one at a time: each run reads and rewrites state/fred_daily.json.
        reservedConcurrentExecutions: 1,
      }),
      writer: fn('writer', 'Writer', 'fredlake: writes one Parquet partition per date and registers it in Glue'),
      'gap-auditor': fn('gap-auditor', 'GapAuditor', 'fredlake: finds and repairs missing dates every night'),
    };
    const { fetcher, transformer, writer } = this.functions;
    const auditor = this.functions['gap-auditor'];

    // Event sources (each adds sqs:ReceiveMessage/DeleteMessage/ChangeMessageVisibility/GetQueueAttributes on its
    // own queue to the consumer's role)
    fetcher.function.addEventSource(
      new SqsEventSource(this.queues.fetch.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    transformer.function.addEventSource(
      new SqsEventSource(this.queues.transform.queue, {
        batchSize: 10,
        // The fewest pollers SQS allows (2): with reserved concurrency 1, extra pollers would only be throttled,
        // and a throttled batch returns to the queue with one more receive counted towards the DLQ.
        maxConcurrency: 2,
        reportBatchItemFailures: true,
      }),
    );
    writer.function.addEventSource(
      new SqsEventSource(this.queues.write.queue, {
        batchSize: 10,
        maxBatchingWindow: WRITER_BATCHING_WINDOW,
        // Gentle on Glue's API limits during a backfill; partitions are independent, so 5 in parallel is plenty.
        maxConcurrency: 5,
        reportBatchItemFailures: true,
      }),
    );

    // Least privilege, stage by stage
    const lake = new LakeAccess(bucket);
    for (const stage of [fetcher, transformer, writer, auditor]) lake.list(stage);

    this.fredApiKeySecret.grantRead(fetcher.role);
    lake.objects(fetcher, ['s3:PutObject'], [Zone.raw]);
    lake.objects(fetcher, ['s3:GetObject', 's3:PutObject'], [Zone.ops]);

    lake.objects(transformer, ['s3:GetObject'], [Zone.raw]);
    lake.objects(transformer, ['s3:GetObject', 's3:PutObject'], [Zone.state, Zone.ops]);
    this.queues.write.queue.grantSendMessages(transformer.role);

    lake.objects(writer, ['s3:GetObject', 's3:PutObject'], [Zone.curated, Zone.ops]);
    writer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['glue:BatchCreatePartition', 'glue:GetPartitions'],
        // Glue authorizes partition calls against the catalog, the database and the table together.
        resources: [this.catalog.catalogArn, this.catalog.databaseArn, this.catalog.tableArn],
      }),
    );

    lake.objects(auditor, ['s3:GetObject'], [Zone.state, Zone.curated]);
    lake.objects(auditor, ['s3:PutObject'], [Zone.ops]);
    auditor.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['glue:GetPartitions'],
        resources: [this.catalog.catalogArn, this.catalog.databaseArn, this.catalog.tableArn],
      }),
    );
    this.queues.write.queue.grantSendMessages(auditor.role);
    this.queues.fetch.queue.grantSendMessages(auditor.role);

    // Schedules
    new Rule(this, 'DailyFetch', {
      description: 'fredlake: asks the fetcher for the day’s run',
      schedule: schedule(props.fetchSchedule ?? DEFAULT_FETCH_SCHEDULE, 'fetchSchedule'),
      targets: [
        new SqsQueue(this.queues.fetch.queue, {
          message: RuleTargetInput.fromObject({ version: 1, reason: 'schedule' }),
        }),
      ],
    });
    new Rule(this, 'NightlyAudit', {
      description: 'fredlake: runs the gap auditor',
      schedule: schedule(props.auditSchedule ?? DEFAULT_AUDIT_SCHEDULE, 'auditSchedule'),
      targets: [new LambdaFunction(auditor.function, { retryAttempts: 2, maxEventAge: Duration.hours(2) })],
    });

    // Alarms
    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmEmail: props.alarmEmail,
      freshnessDays: props.freshnessDays ?? 4,
      serviceName: SERVICE_NAME,
      deadLetterQueues: {
        Fetch: this.queues.fetch.deadLetterQueue,
        Transform: this.queues.transform.deadLetterQueue,
        Write: this.queues.write.deadLetterQueue,
      },
      functions: {
        Fetcher: fetcher.function,
        Transformer: transformer.function,
        Writer: writer.function,
        GapAuditor: auditor.function,
      },
    });

    this.acknowledgeBucketNotificationsHandler();

    // Outputs: what `fredlake --backend aws` reads (see stack-outputs.ts for the env var each one feeds)
    const output = (key: StackOutput, value: string, description: string) =>
      new CfnOutput(this, key, { value, description });
    output(StackOutput.BucketName, bucket.bucketName, 'The lake bucket (FREDLAKE_BUCKET)');
    output(StackOutput.FetchQueueUrl, this.queues.fetch.queue.queueUrl, 'FREDLAKE_FETCH_QUEUE_URL');
    output(StackOutput.TransformQueueUrl, this.queues.transform.queue.queueUrl, 'FREDLAKE_TRANSFORM_QUEUE_URL');
    output(StackOutput.WriteQueueUrl, this.queues.write.queue.queueUrl, 'FREDLAKE_WRITE_QUEUE_URL');
    output(StackOutput.FetchDlqUrl, this.queues.fetch.deadLetterQueue.queueUrl, 'FREDLAKE_FETCH_DLQ_URL');
    output(StackOutput.TransformDlqUrl, this.queues.transform.deadLetterQueue.queueUrl, 'FREDLAKE_TRANSFORM_DLQ_URL');
    output(StackOutput.WriteDlqUrl, this.queues.write.deadLetterQueue.queueUrl, 'FREDLAKE_WRITE_DLQ_URL');
    output(StackOutput.GlueDatabaseName, this.catalog.databaseName, 'FREDLAKE_GLUE_DATABASE');
    output(StackOutput.GlueTableName, this.catalog.tableName, `FREDLAKE_GLUE_TABLE (${DATASET})`);
    output(StackOutput.AthenaWorkgroupName, this.catalog.workgroupName, 'FREDLAKE_ATHENA_WORKGROUP');
    output(
      StackOutput.FredApiKeySecretArn,
      this.fredApiKeySecret.secretArn,
      'FRED_API_KEY_SECRET_ARN: put the FRED API key in this secret',
    );
    output(StackOutput.AlarmTopicArn, this.monitoring.topic.topicArn, 'Alarm notifications (subscribe to it)');
  }

  /**
   * `bucket.addEventNotification` is implemented by a CDK-owned singleton Lambda that calls
   * PutBucketNotificationConfiguration at deploy time (CloudFormation cannot configure a notification to a queue
   * whose policy refers back to the bucket). Its role and runtime are chosen by aws-cdk-lib, not by us.
   */
  private acknowledgeBucketNotificationsHandler(): void {
    const handler = this.node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'));
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'CDK-owned deploy-time handler of the bucket notification: the managed policy only lets it write its own ' +
        'logs, and aws-cdk-lib offers no way to replace its role.',
    });
  }
}

interface PipelineFunctionExtras {
  environment: Record<string, string>;
  reservedConcurrentExecutions: number | undefined;
}
