import * as z from 'zod';
import { MessageInvalidError } from '../errors.ts';

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
export type S3EventRecord = z.infer<typeof S3EventRecord>;
export const S3Event = z.union([
  z.object({ Records: z.array(S3EventRecord).min(1) }),
  z.object({ Event: z.literal('s3:TestEvent'), Bucket: z.string(), Service: z.string().optional() }),
]);
export type S3Event = z.infer<typeof S3Event>;

/** The object key an S3 event carries, decoded; a broken %-escape is a permanent MessageInvalidError. */
export const decodeS3Key = (key: string): string => {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new MessageInvalidError(`S3 event key ${JSON.stringify(key.slice(0, 80))} is not valid URL encoding`, {
      key: key.slice(0, 80),
    });
  }
};
