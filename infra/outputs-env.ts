/**
 * Turns the deployed stack's outputs into the environment `fredlake --backend aws` reads:
 *
 *   aws cloudformation describe-stacks --stack-name Fredlake --query 'Stacks[0].Outputs' --output json \
 *     | npx tsx infra/outputs-env.ts > fredlake-aws.env && set -a && . ./fredlake-aws.env && set +a
 */
import { OUTPUT_ENV, type StackOutput } from './stack-outputs.ts';

export interface CfnOutput {
  OutputKey: string;
  OutputValue: string;
}

const quote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;

/** `NAME='value'` lines for every output that feeds an environment variable, plus the backend itself. */
export const outputsToEnv = (outputs: readonly CfnOutput[]): string => {
  const lines = ['FREDLAKE_BACKEND=aws'];
  for (const { OutputKey, OutputValue } of outputs) {
    const name = OUTPUT_ENV[OutputKey as StackOutput];
    if (name) lines.push(`${name}=${quote(OutputValue)}`);
  }
  return `${lines.join('\n')}\n`;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const outputs = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CfnOutput[];
  process.stdout.write(outputsToEnv(outputs));
}
