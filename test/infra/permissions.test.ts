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
});
