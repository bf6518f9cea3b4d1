import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FredlakeStack } from '#infra/fredlake-stack.ts';
import type { Stage } from '#infra/pipeline-function.ts';
import { asArray, flatten, fredlakeStack, logicalId, type Resource, type Statement, testApp } from './synth.ts';

let stack: FredlakeStack;
let resources: Record<string, Resource>;
let aliases: Map<string, string>;

beforeAll(() => {
  stack = fredlakeStack(testApp());
  resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  aliases = new Map<string, string>([
    [logicalId(stack.storage.bucket), 'lake'],
    [logicalId(stack.storage.accessLogsBucket), 'access-logs'],
    [logicalId(stack.fredApiKeySecret), 'fred-key'],
    ...(['fetch', 'transform', 'write'] as const).flatMap((name): [string, string][] => [
      [logicalId(stack.queues[name].queue), `${name}-queue`],
      [logicalId(stack.queues[name].deadLetterQueue), `${name}-dlq`],
    ]),
    ...Object.entries(stack.functions).map(([stage, fn]): [string, string] => [
      logicalId(fn.logGroup),
      `${stage}-logs`,
    ]),
  ]);
});

/** A resource as a short name: `lake/raw/*`, `write-queue`, `glue:table/fredlake/fred_daily`. */
const readable = (resource: unknown): string =>
  flatten(resource)
    .replace(/<([A-Za-z0-9]+)(\.Arn)?>/g, (whole, id: string) => aliases.get(id) ?? whole)
    .replace('arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:', 'glue:');

const statementsOf = (stage: Stage): Statement[] => {
  const roleId = logicalId(stack.functions[stage].role);
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};

/** Every allowed (action, resource) pair of a stage's role, as `action resource` lines. */
const grantsOf = (stage: Stage): string[] =>
  statementsOf(stage)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) =>
      asArray(statement.Action).flatMap((action) =>
        asArray(statement.Resource).map((resource) => `${action} ${readable(resource)}`),
      ),
    )
    .sort();

const each = (actions: string[], ...targets: string[]): string[] =>
  targets.flatMap((target) => actions.map((action) => `${action} ${target}`));
const CONSUME = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueUrl',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
];
const SEND = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const GLUE_TABLE = ['glue:catalog', 'glue:database/fredlake', 'glue:table/fredlake/fred_daily'];

const expected: Record<Stage, string[]> = {
  fetcher: [
    ...each(LOGS, 'fetcher-logs'),
    ...each(CONSUME, 'fetch-queue'),
    's3:ListBucket lake',
    ...each(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], 'fred-key'),
    's3:PutObject lake/raw/*',
    ...each(['s3:GetObject', 's3:PutObject'], 'lake/ops/*'),
  ],
  transformer: [
    ...each(LOGS, 'transformer-logs'),
    ...each(CONSUME, 'transform-queue'),
    's3:ListBucket lake',
    's3:GetObject lake/raw/*',
    ...each(['s3:GetObject', 's3:PutObject'], 'lake/state/*', 'lake/ops/*'),
    ...each(SEND, 'write-queue'),
  ],
  writer: [
    ...each(LOGS, 'writer-logs'),
    ...each(CONSUME, 'write-queue'),
    's3:ListBucket lake',
    ...each(['s3:GetObject', 's3:PutObject'], 'lake/curated/fred_daily/*', 'lake/ops/*'),
    ...each(['glue:BatchCreatePartition', 'glue:GetPartitions'], ...GLUE_TABLE),
  ],
  'gap-auditor': [
    ...each(LOGS, 'gap-auditor-logs'),
    's3:ListBucket lake',
    ...each(['s3:GetObject'], 'lake/state/*', 'lake/curated/fred_daily/*'),
    's3:PutObject lake/ops/*',
    ...each(['glue:GetPartitions'], ...GLUE_TABLE),
    ...each(SEND, 'write-queue', 'fetch-queue'),
  ],
};

describe('function permissions', () => {
  for (const stage of Object.keys(expected) as Stage[]) {
    it(`gives the ${stage} exactly its own queues, prefixes, secret and table`, () => {
      const grants = grantsOf(stage);

      expect(grants).toEqual([...expected[stage]].sort());
    });
  }

  it('grants no wildcard action, no "*" resource and never all objects of a bucket', () => {
    const statements = (Object.keys(expected) as Stage[]).flatMap(statementsOf);

    for (const statement of statements) {
      for (const action of asArray(statement.Action)) expect(action).not.toContain('*');
      for (const resource of asArray(statement.Resource).map(readable)) {
        expect(resource).not.toBe('*');
        expect(resource).not.toMatch(/^(lake|access-logs)\/\*$/);
      }
    }
  });

  it('reads the FRED key only in the fetcher', () => {
    const readers = (Object.keys(expected) as Stage[]).filter((stage) =>
      grantsOf(stage).some((grant) => grant.startsWith('secretsmanager:')),
    );

    expect(readers).toEqual(['fetcher']);
  });

  it('gives each role no managed or inline policy of its own and lets only Lambda assume it', () => {
    for (const fn of Object.values(stack.functions)) {
      const role = resources[logicalId(fn.role)]?.Properties ?? {};

      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toBeUndefined();
      expect(role.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
    }
  });

  it('gives each function a role of its own, and no role in the stack beyond the four functions and CDK’s bucket-notification handler', () => {
    const functionRoles = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => flatten(r.Properties.Role));
    const stageRoles = Object.values(stack.functions).map((fn) => `<${logicalId(fn.role)}.Arn>`);
    const roles = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id]) => id);

    expect(new Set(stageRoles).size).toBe(stageRoles.length);
    for (const role of stageRoles) expect(functionRoles.filter((r) => r === role)).toHaveLength(1);
    expect(roles.filter((id) => !stageRoles.includes(`<${id}.Arn>`))).toEqual([
      expect.stringMatching(/^BucketNotificationsHandler/),
    ]);
  });

  it('lets CDK’s bucket-notification handler do one thing: configure the lake bucket’s notifications', () => {
    const handlerRole = Object.keys(resources).find((id) => id.startsWith('BucketNotificationsHandler'));
    const grants = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === handlerRole))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap((st) => asArray(st.Action).flatMap((a) => asArray(st.Resource).map((res) => `${a} ${readable(res)}`)));

    expect(grants).toEqual(['s3:PutBucketNotification lake']);
  });

  it('uses no NotAction, NotResource, iam:PassRole or sts: grant in any identity policy of the stack', () => {
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap(
        (r) => (r.Properties.PolicyDocument as { Statement: (Statement & Record<string, unknown>)[] }).Statement,
      );

    for (const statement of statements) {
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      for (const action of asArray(statement.Action)) expect(action).not.toMatch(/^(iam:PassRole|sts:)/);
      for (const resource of asArray(statement.Resource).map(readable)) expect(resource).not.toMatch(/(^|:)\*$/);
    }
  });

  it('opens each queue to at most one AWS service, and only from its own source (S3 the lake bucket, EventBridge the schedule)', () => {
    const allows = Object.values(resources)
      .filter((r) => r.Type === 'AWS::SQS::QueuePolicy')
      .flatMap((r) =>
        (r.Properties.PolicyDocument as { Statement: (Statement & Record<string, unknown>)[] }).Statement.filter(
          (st) => st.Effect === 'Allow',
        ),
      )
      .map((st) => ({
        queue: readable(st.Resource),
        principal: JSON.stringify(st.Principal),
        source: readable(
          Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>)[0]?.['aws:SourceArn'],
        ),
      }));

    expect(allows.map((a) => `${a.queue} ${a.principal}`).sort()).toEqual([
      'fetch-queue {"Service":"events.amazonaws.com"}',
      'transform-queue {"Service":"s3.amazonaws.com"}',
    ]);
    expect(allows.find((a) => a.queue === 'transform-queue')?.source).toBe('lake');
    expect(allows.find((a) => a.queue === 'fetch-queue')?.source).toMatch(/^<DailyFetch[0-9A-F]+\.Arn>$/);
  });

  it('lets exactly one stage write each data prefix: raw/ the fetcher, state/ the transformer, curated/ the writer', () => {
    const writers = (prefix: string) =>
      (Object.keys(expected) as Stage[]).filter((stage) => grantsOf(stage).includes(`s3:PutObject lake/${prefix}*`));

    expect(writers('raw/')).toEqual(['fetcher']);
    expect(writers('state/')).toEqual(['transformer']);
    expect(writers('curated/fred_daily/')).toEqual(['writer']);
  });
});
