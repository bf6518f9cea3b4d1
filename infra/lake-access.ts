import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { PipelineFunction } from './pipeline-function.ts';

/** The zones of the key layout (shared/domain/keys.ts) as IAM object prefixes. */
export const Zone = {
  raw: 'raw/',
  state: 'state/',
  curated: 'curated/fred_daily/',
  ops: 'ops/',
} as const;
export type Zone = (typeof Zone)[keyof typeof Zone];

/**
 * Hand-written S3 grants: the L2 `bucket.grant*` helpers name `bucket/*`; these name one zone's prefix each.
 */
export class LakeAccess {
  readonly #bucket: Bucket;
  readonly #bucketArnRef: string;

  constructor(bucket: Bucket) {
    this.#bucket = bucket;
    // How cdk-nag prints `Fn::GetAtt [<logical id>, Arn]` in its finding ids.
    this.#bucketArnRef = `<${Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>`;
  }

  /** Object actions on the keys under each prefix, and nothing else in the bucket. */
  objects(fn: PipelineFunction, actions: readonly ('s3:GetObject' | 's3:PutObject')[], prefixes: readonly Zone[]) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: prefixes.map((prefix) => this.#bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    for (const prefix of prefixes) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${this.#bucketArnRef}/${prefix}*]`,
        reason:
          `Keys under ${prefix} are named per run/date at run time (shared/domain/keys.ts), so the grant is the ` +
          `narrowest prefix that holds them, not the bucket; actions: ${actions.join(', ')}.`,
      });
    }
  }

  /**
   * s3:ListBucket on the bucket itself. Without it S3 answers 403 instead of 404 for a key that does not exist,
   * and every stage reads keys that may not exist yet (the first state/ file, a new partition, a run record).
   * It reveals key names only, never object contents.
   */
  list(fn: PipelineFunction) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.#bucket.bucketArn] }),
    );
  }
}
