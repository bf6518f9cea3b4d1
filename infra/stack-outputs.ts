/**
 * The stack's output keys and the environment variable (shared/config.ts) each one feeds: infra/outputs-env.ts turns
 * the deployed stack's outputs into the environment `fredlake --backend aws` reads.
 */
export const StackOutput = {
  BucketName: 'BucketName',
  FetchQueueUrl: 'FetchQueueUrl',
  TransformQueueUrl: 'TransformQueueUrl',
  WriteQueueUrl: 'WriteQueueUrl',
  FetchDlqUrl: 'FetchDlqUrl',
  TransformDlqUrl: 'TransformDlqUrl',
  WriteDlqUrl: 'WriteDlqUrl',
  GlueDatabaseName: 'GlueDatabaseName',
  GlueTableName: 'GlueTableName',
  AthenaWorkgroupName: 'AthenaWorkgroupName',
  FredApiKeySecretArn: 'FredApiKeySecretArn',
  AlarmTopicArn: 'AlarmTopicArn',
} as const;
export type StackOutput = (typeof StackOutput)[keyof typeof StackOutput];

export const OUTPUT_ENV: Partial<Record<StackOutput, string>> = {
  BucketName: 'FREDLAKE_BUCKET',
  FetchQueueUrl: 'FREDLAKE_FETCH_QUEUE_URL',
  TransformQueueUrl: 'FREDLAKE_TRANSFORM_QUEUE_URL',
  WriteQueueUrl: 'FREDLAKE_WRITE_QUEUE_URL',
  FetchDlqUrl: 'FREDLAKE_FETCH_DLQ_URL',
  TransformDlqUrl: 'FREDLAKE_TRANSFORM_DLQ_URL',
  WriteDlqUrl: 'FREDLAKE_WRITE_DLQ_URL',
  GlueDatabaseName: 'FREDLAKE_GLUE_DATABASE',
  GlueTableName: 'FREDLAKE_GLUE_TABLE',
  AthenaWorkgroupName: 'FREDLAKE_ATHENA_WORKGROUP',
  FredApiKeySecretArn: 'FRED_API_KEY_SECRET_ARN',
};
