import { z } from 'zod';

/**
 * The S3 event notification that starts a transform (object created under raw/manifests/). S3 also sends a
 * one-off `s3:TestEvent` when the notification is configured; it is accepted and ignored.
 * Keys arrive URL-encoded (spaces as '+').
 */
export const S3EventRecord = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string().startsWith('ObjectCreated:'),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().optional(), sequencer: z.string().optional() }),
  }),
});
export const S3Event = z.union([
  z.object({ Records: z.array(S3EventRecord).min(1) }),
  z.object({ Event: z.literal('s3:TestEvent'), Bucket: z.string(), Service: z.string().optional() }),
]);
export type S3Event = z.infer<typeof S3Event>;

export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));
