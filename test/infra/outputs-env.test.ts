import { describe, expect, it } from 'vitest';
import { outputsToEnv } from '#infra/outputs-env.ts';

describe('outputsToEnv', () => {
  it('maps each stack output to the variable the CLI reads, quoted for the shell, and skips the rest', () => {
    const env = outputsToEnv([
      { OutputKey: 'BucketName', OutputValue: 'fredlake-lake-123' },
      { OutputKey: 'FetchQueueUrl', OutputValue: "https://sqs.us-east-1.amazonaws.com/1/it's" },
      { OutputKey: 'AlarmTopicArn', OutputValue: 'arn:aws:sns:us-east-1:1:alarms' },
    ]);

    expect(env).toBe(
      "FREDLAKE_BACKEND=aws\nFREDLAKE_BUCKET='fredlake-lake-123'\nFREDLAKE_FETCH_QUEUE_URL='https://sqs.us-east-1.amazonaws.com/1/it'\\''s'\n",
    );
  });
});
