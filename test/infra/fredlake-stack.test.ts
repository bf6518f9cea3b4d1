import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FredlakeStack } from '#infra/fredlake-stack.ts';
import { FRED_DAILY_COLUMNS } from '#infra/lake-catalog.ts';
import { StackOutput } from '#infra/stack-outputs.ts';
import { fredlakeStack, logicalId, type Resource, testApp } from './synth.ts';

const DAY = 86_400;
const ssl = { Action: Match.anyValue(), Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } };

let stack: FredlakeStack;
let template: Template;
let custom: FredlakeStack;
let customTemplate: Template;

beforeAll(() => {
  const app = testApp();
  stack = fredlakeStack(app);
  custom = fredlakeStack(app, 'Custom', {
    fetchSchedule: 'cron(0 2 * * ? *)',
    auditSchedule: 'cron(15 5 * * ? *)',
    maxReceiveCount: 7,
    alarmEmail: 'ops@example.com',
    freshnessDays: 2,
    functions: { writer: { timeout: Duration.minutes(3), memorySize: 2048 } },
  });
  template = Template.fromStack(stack);
  customTemplate = Template.fromStack(custom);
});

const ref = (construct: Parameters<typeof logicalId>[0]) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const resource = (t: Template, id: string): Resource => t.toJSON().Resources[id] as Resource;
const pipeline = () => [
  { name: 'fetcher', fn: stack.functions.fetcher, queue: stack.queues.fetch },
  { name: 'transformer', fn: stack.functions.transformer, queue: stack.queues.transform },
  { name: 'writer', fn: stack.functions.writer, queue: stack.queues.write },
];

describe('lake bucket', () => {
  it('is encrypted, private, versioned and refuses requests without TLS', () => {
    const lake = resource(template, logicalId(stack.storage.bucket));

    expect(lake.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.storage.bucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(ssl)]) },
    });
  });

  it('tiers raw objects to Infrequent Access after 30 days and Glacier later, and expires old versions', () => {
    const rules = (
      resource(template, logicalId(stack.storage.bucket)).Properties.LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;

    expect(rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'raw/',
        Status: 'Enabled',
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
        ],
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' }),
    );
    expect(rules.find((rule) => 'NoncurrentVersionExpiration' in rule)).not.toHaveProperty('Prefix');
  });

  it('logs server access to a separate encrypted, private, TLS-only bucket', () => {
    const lake = resource(template, logicalId(stack.storage.bucket));
    const logs = resource(template, logicalId(stack.storage.accessLogsBucket));

    expect(lake.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(stack.storage.accessLogsBucket) },
      LogFilePrefix: 'lake/',
    });
    expect(logs.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.storage.accessLogsBucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(ssl)]) },
    });
  });

  it('notifies the transform queue only of .json objects created under raw/manifests/', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack.storage.bucket) },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            QueueArn: ref(stack.queues.transform.queue),
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.json' },
                  { Name: 'prefix', Value: 'raw/manifests/' },
                ],
              },
            },
          },
        ],
      },
    });
  });
});

describe('queues', () => {
  it('pairs each of the three work queues with its own dead-letter queue after at least 5 receives', () => {
    template.resourceCountIs('AWS::SQS::Queue', 6);

    for (const { queue } of pipeline()) {
      const redrive = resource(template, logicalId(queue.queue)).Properties.RedrivePolicy as {
        deadLetterTargetArn: unknown;
        maxReceiveCount: number;
      };
      expect(redrive.deadLetterTargetArn).toEqual(ref(queue.deadLetterQueue));
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
    }
  });

  it('keeps dead letters 14 days', () => {
    for (const { queue } of pipeline()) {
      expect(resource(template, logicalId(queue.deadLetterQueue)).Properties.MessageRetentionPeriod).toBe(14 * DAY);
    }
  });

  it('encrypts every queue and refuses requests without TLS', () => {
    const queues = pipeline().flatMap(({ queue }) => [queue.queue, queue.deadLetterQueue]);

    for (const queue of queues) {
      expect(resource(template, logicalId(queue)).Properties.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(queue) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(ssl)]) },
      });
    }
  });

  it('hides a message at least 6 times as long as its consumer may run', () => {
    for (const t of [template, customTemplate]) {
      const resources = Object.values(t.toJSON().Resources as Record<string, Resource>);
      const mappings = resources.filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(3);

      for (const mapping of mappings) {
        const queueId = (mapping.Properties.EventSourceArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
        const functionId = (mapping.Properties.FunctionName as { Ref: string }).Ref;
        const visibility = resource(t, queueId).Properties.VisibilityTimeout as number;
        const timeout = resource(t, functionId).Properties.Timeout as number;
        expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
      }
    }
  });
});

describe('functions', () => {
  const functions = () => Object.entries(stack.functions);

  it('run Node.js 22 on arm64 from an ESM bundle', () => {
    for (const [, fn] of functions()) {
      expect(resource(template, logicalId(fn.function)).Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    }
  });

  it('read their configuration from the environment, with the FRED key only as a secret ARN', () => {
    for (const [stage, fn] of functions()) {
      const env = (
        resource(template, logicalId(fn.function)).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;

      expect(env).toMatchObject({
        FREDLAKE_BACKEND: 'aws',
        FREDLAKE_BUCKET: { Ref: logicalId(stack.storage.bucket) },
        FREDLAKE_FETCH_QUEUE_URL: { Ref: logicalId(stack.queues.fetch.queue) },
        FREDLAKE_TRANSFORM_QUEUE_URL: { Ref: logicalId(stack.queues.transform.queue) },
        FREDLAKE_WRITE_QUEUE_URL: { Ref: logicalId(stack.queues.write.queue) },
        FREDLAKE_FETCH_DLQ_URL: { Ref: logicalId(stack.queues.fetch.deadLetterQueue) },
        FREDLAKE_TRANSFORM_DLQ_URL: { Ref: logicalId(stack.queues.transform.deadLetterQueue) },
        FREDLAKE_WRITE_DLQ_URL: { Ref: logicalId(stack.queues.write.deadLetterQueue) },
        FREDLAKE_GLUE_DATABASE: 'fredlake',
        FREDLAKE_GLUE_TABLE: 'fred_daily',
        FREDLAKE_ATHENA_WORKGROUP: 'fredlake',
        FREDLAKE_MAX_RECEIVE_COUNT: '5',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: 'fredlake',
        POWERTOOLS_METRICS_NAMESPACE: 'fredlake',
      });
      expect(env).not.toHaveProperty('FRED_API_KEY');
      if (stage === 'fetcher') expect(env.FRED_API_KEY_SECRET_ARN).toEqual({ Ref: logicalId(stack.fredApiKeySecret) });
      else expect(env).not.toHaveProperty('FRED_API_KEY_SECRET_ARN');
    }
  });

  it('consume their queue in batches of 10 and report failed items one by one', () => {
    for (const { fn, queue } of pipeline()) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: ref(queue.queue),
        FunctionName: { Ref: logicalId(fn.function) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  it('let only one transformer run at a time', () => {
    const reserved = (stage: keyof typeof stack.functions) =>
      resource(template, logicalId(stack.functions[stage].function)).Properties.ReservedConcurrentExecutions;

    expect(reserved('transformer')).toBe(1);
    expect(reserved('writer')).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack.functions.transformer.function) },
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('log to their own log group, kept for a month', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 4);

    for (const [, fn] of functions()) {
      expect(resource(template, logicalId(fn.logGroup)).Properties.RetentionInDays).toBe(30);
      expect(resource(template, logicalId(fn.function)).Properties.LoggingConfig).toEqual({
        LogGroup: { Ref: logicalId(fn.logGroup) },
      });
    }
  });

  it('take timeouts and memory from the stack props', () => {
    const writer = resource(customTemplate, logicalId(custom.functions.writer.function)).Properties;
    const visibility = resource(customTemplate, logicalId(custom.queues.write.queue)).Properties.VisibilityTimeout;

    expect(writer).toMatchObject({ Timeout: 180, MemorySize: 2048 });
    expect(visibility).toBe(6 * 180 + 5);
  });
});

describe('schedules', () => {
  it('sends the daily fetch request into the fetch queue at 01:30 UTC', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 1 * * ? *)',
      State: 'ENABLED',
      Targets: [{ Arn: ref(stack.queues.fetch.queue), Input: JSON.stringify({ version: 1, reason: 'schedule' }) }],
    });
  });

  it('invokes the gap auditor every night', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
      Targets: [Match.objectLike({ Arn: ref(stack.functions['gap-auditor'].function) })],
    });
  });

  it('takes both schedules and the receive count from the stack props', () => {
    customTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 2 * * ? *)' });
    customTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(15 5 * * ? *)' });
    customTemplate.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 7 }),
    });
  });

  it('refuses a schedule that is not an EventBridge expression and a receive count below 5', () => {
    const app = testApp();

    expect(() => fredlakeStack(app, 'BadSchedule', { fetchSchedule: '30 1 * * *' })).toThrow(/fetchSchedule/);
    expect(() => fredlakeStack(app, 'FewReceives', { maxReceiveCount: 3 })).toThrow(/maxReceiveCount/);
    expect(() => fredlakeStack(app, 'LongFreshness', { freshnessDays: 8 })).toThrow(/freshnessDays/);
  });
});

describe('catalog', () => {
  it('declares fred_daily as an external Parquet table of four doubles partitioned by date', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'fredlake',
      TableInput: {
        Name: 'fred_daily',
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: 'date', Type: 'date' }],
        StorageDescriptor: Match.objectLike({
          Location: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(stack.storage.bucket) }, '/curated/fred_daily/']] },
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          SerdeInfo: Match.objectLike({
            SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          }),
          Columns: [
            { Name: 'sp500_daily_price', Type: 'double' },
            { Name: 'sp500_daily_percentage_change', Type: 'double' },
            { Name: 'cpi_level', Type: 'double' },
            { Name: 'cpi_annual_percentage_change', Type: 'double' },
          ],
        }),
      },
    });
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'fredlake' }) });
    expect(FRED_DAILY_COLUMNS).toHaveLength(4);
  });

  it('registers partitions through the writer, not a crawler', () => {
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it('gives Athena a workgroup whose encrypted results location users cannot override', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'fredlake',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(stack.storage.bucket) }, '/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      }),
    });
  });
});

describe('FRED API key', () => {
  it('lives in Secrets Manager, created with a placeholder the operator replaces', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: 'REPLACE-WITH-YOUR-FRED-API-KEY',
    });
  });
});

describe('alarms', () => {
  const alarms = () =>
    Object.values(template.toJSON().Resources as Record<string, Resource>)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties);

  it('sends every alarm to the encrypted, TLS-only alarm topic', () => {
    const topic = { Ref: logicalId(stack.monitoring.topic) };

    expect(alarms().length).toBeGreaterThanOrEqual(10);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([topic]);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: ref(stack.monitoring.topicKey) });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(ssl)]) },
    });
  });

  it('fires as soon as any dead-letter queue holds a message', () => {
    for (const { queue } of pipeline()) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue.deadLetterQueue), 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    }
  });

  it('fires on errors of each function', () => {
    for (const fn of Object.values(stack.functions)) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    }
  });

  it('fires when no partition was written for 4 days, counting silence as breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'fredlake',
      MetricName: 'PartitionsWritten',
      Dimensions: [{ Name: 'service', Value: 'fredlake' }],
      Statistic: 'Sum',
      Period: DAY,
      EvaluationPeriods: 4,
      DatapointsToAlarm: 4,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    customTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PartitionsWritten',
      EvaluationPeriods: 2,
    });
  });

  it('fires when the auditor finds gaps or the quality gate rejects rows', () => {
    for (const metric of ['GapsFound', 'QualityGateFailures']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'fredlake',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'fredlake' }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('subscribes the alarm email only when one is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    customTemplate.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('outputs', () => {
  it('publishes what the CLI needs to reach the deployment', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    expect(Object.keys(outputs).sort()).toEqual(Object.values(StackOutput).sort());
    expect(outputs.BucketName?.Value).toEqual({ Ref: logicalId(stack.storage.bucket) });
    expect(outputs.WriteDlqUrl?.Value).toEqual({ Ref: logicalId(stack.queues.write.deadLetterQueue) });
    expect(outputs.FredApiKeySecretArn?.Value).toEqual({ Ref: logicalId(stack.fredApiKeySecret) });
    expect(outputs.GlueTableName?.Value).toBe('fred_daily');
  });
});
