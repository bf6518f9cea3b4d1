import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  type IBucket,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MANIFEST_PREFIX, RAW_PREFIX } from '#shared/domain/keys.ts';

/** Where the Athena workgroup writes query results (not part of the key layout the pipeline uses). */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';

export interface LakeStorageProps {
  /** Receives an S3 event for each manifest created under raw/manifests/ (suffix .json). */
  readonly manifestQueue: IQueue;
}

/**
 * One lake bucket for every zone of the key layout (raw/, state/, curated/, ops/, plus athena-results/): the
 * pipeline, shared/domain/keys.ts and the CLI all address a single FREDLAKE_BUCKET, and least privilege is drawn by
 * prefix in each role's policy. Versioning is a bucket-wide setting, so the whole bucket is versioned (the raw zone
 * must be; for curated partitions it also keeps the previous version when a revision rewrites a date).
 * A second bucket receives the lake's server access logs.
 */
export class LakeStorage extends Construct {
  readonly bucket: Bucket;
  readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      // Server access log delivery only supports SSE-S3 on the target bucket.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new Bucket(this, 'Lake', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      // The cast only works around aws-cdk-lib's typings under exactOptionalPropertyTypes (Bucket.isWebsite).
      serverAccessLogsBucket: this.accessLogsBucket as IBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'raw-zone-tiering',
          prefix: RAW_PREFIX,
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            // Instant Retrieval: a replay of old runs reads raw pages directly, without a restore step.
            { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
          ],
        },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiredObjectDeleteMarker: true,
        },
        { id: 'expire-athena-results', prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(30) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(props.manifestQueue), {
      prefix: MANIFEST_PREFIX,
      suffix: '.json',
    });
  }
}
