import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { FredlakeStack, type FredlakeStackProps } from '#infra/fredlake-stack.ts';

/**
 * An app for template tests: no bundling (the handlers need not build), no built-in CloudFormation validation
 * (seconds per synth), no account or credentials.
 */
export const testApp = (): App =>
  new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });

export const fredlakeStack = (app: App, id = 'Fredlake', props: FredlakeStackProps = {}): FredlakeStack =>
  new FredlakeStack(app, id, props);

/** The logical id a construct's CloudFormation resource gets (its `defaultChild`, or itself when it is one). */
export const logicalId = (construct: { node: { defaultChild?: unknown } } | CfnElement): string => {
  const element = ('logicalId' in construct ? construct : construct.node.defaultChild) as CfnElement;
  return Stack.of(element).getLogicalId(element);
};

export type Resource = { Type: string; Properties: Record<string, unknown> };
export type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** `Fn::GetAtt`/`Ref`/`Fn::Join` as one readable string: `<Id.Arn>/raw/*`, `arn:<AWS::Partition>:glue:...`. */
export const flatten = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).join(',');
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if ('Fn::GetAtt' in node) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    return `<${id}.${attribute}>`;
  }
  if ('Ref' in node) return `<${String(node.Ref)}>`;
  return JSON.stringify(value);
};

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
