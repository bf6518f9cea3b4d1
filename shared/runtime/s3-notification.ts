import { isManifestKey } from '../domain/keys.ts';
import type { S3Event } from '../messages/s3-event.ts';
import type { Queue } from '../ports/queue.ts';

/** The S3 event notification AWS sends for an object-created event, as the transform queue receives it. */
export const s3ObjectCreatedEvent = (bucket: string, key: string): S3Event => ({
  Records: [
    {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: bucket },
        object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+') },
      },
    },
  ],
});

/**
 * Plays S3's notification configuration locally: an object created under raw/manifests/ (suffix .json) sends an
 * object-created event to the transform queue, exactly as the bucket notification does in AWS.
 */
export const createManifestNotifier =
  (transformQueue: Pick<Queue, 'sendBatch'>, bucket: string) =>
  async (key: string): Promise<void> => {
    if (!isManifestKey(key)) return;
    await transformQueue.sendBatch([JSON.stringify(s3ObjectCreatedEvent(bucket, key))]);
  };
