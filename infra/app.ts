// The CDK app (`cdk synth` / `cdk deploy`, see cdk.json). Env-agnostic: synthesizes with no AWS account or
// credentials. Settings come from context: `npx cdk deploy -c fredlake:alarmEmail=ops@example.com`.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FredlakeStack, type FredlakeStackProps } from './fredlake-stack.ts';

const app = new App();

const text = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(`fredlake:${key}`);
  return value === undefined || value === null || value === '' ? undefined : String(value);
};
const whole = (key: string): number | undefined => {
  const value = text(key);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new Error(`Context fredlake:${key} must be a whole number, got "${value}".`);
  return number;
};
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
const logLevel = (): FredlakeStackProps['logLevel'] => {
  const value = text('logLevel');
  if (value === undefined) return undefined;
  const level = LOG_LEVELS.find((candidate) => candidate === value.toUpperCase());
  if (!level) throw new Error(`Context fredlake:logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${value}".`);
  return level;
};

new FredlakeStack(app, text('stackName') ?? 'Fredlake', {
  fetchSchedule: text('fetchSchedule'),
  auditSchedule: text('auditSchedule'),
  maxReceiveCount: whole('maxReceiveCount'),
  alarmEmail: text('alarmEmail'),
  freshnessDays: whole('freshnessDays'),
  logLevel: logLevel(),
  glueDatabaseName: text('glueDatabaseName'),
  athenaWorkgroupName: text('athenaWorkgroupName'),
});

// cdk-nag AwsSolutions on every synth and deploy: an unacknowledged finding stops synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

app.synth();
