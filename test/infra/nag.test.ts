import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fredlakeStack, testApp } from './synth.ts';

let app: App;
let synthError: unknown;

beforeAll(() => {
  app = testApp();
  fredlakeStack(app);
  // cdk-nag 3 is a CDK policy-validation plugin: synthesis fails on any unacknowledged error it reports.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
});

const acknowledgments = (root: IConstruct): { path: string; id: string; reason: string }[] =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );

describe('cdk-nag AwsSolutions', () => {
  it('synthesizes with the AwsSolutions checks registered', () => {
    expect(synthError).toBeUndefined();
  });

  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(app);

    const findings = report.violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath)}`,
    );
    expect(findings).toEqual([]);
  });

  it('justifies every acknowledgment with a reason', () => {
    const acknowledged = acknowledgments(app);

    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length).toBeGreaterThan(40);
    }
  });

  it('acknowledges no rule for a whole stack, only on the resources it concerns', () => {
    const onStacks = acknowledgments(app).filter(({ path }) => !path.includes('/'));

    expect(onStacks).toEqual([]);
  });

  it('would catch a bucket that accepts plain HTTP', () => {
    const control = new App({ builtinCloudFormationValidation: false });
    new Bucket(new Stack(control, 'Control'), 'Plain');

    const report = new AwsSolutionsChecks().validateScope(control);

    expect(report.violations.map((violation) => violation.ruleName)).toContain('AwsSolutions-S10');
  });
});
