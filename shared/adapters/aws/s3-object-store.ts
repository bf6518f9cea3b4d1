import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type {
  ObjectInfo,
  ObjectMetadata,
  ObjectStore,
  ObjectSummary,
  PutOptions,
  StoredObject,
} from '#shared/ports/object-store.ts';
import { isMissingObject, toObjectStoreError } from './errors.ts';

/** Bodies above this size go through a multipart upload (S3's minimum part size). */
export const MULTIPART_THRESHOLD_BYTES = 5 * 1024 * 1024;
const PART_SIZE_BYTES = MULTIPART_THRESHOLD_BYTES;
const PARALLEL_PARTS = 4;

const lowerCaseKeys = (metadata: Record<string, string> | undefined): ObjectMetadata =>
  Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

const compareKeys = (a: ObjectSummary, b: ObjectSummary): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The object store on one S3 bucket. Writes are atomic because S3 only makes an object visible once PutObject
 * or CompleteMultipartUpload has finished; a failed multipart upload is aborted, not left half-visible.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const params = {
      Bucket: this.bucket,
      Key: key,
      Body: bytes,
      ...(options.metadata ? { Metadata: options.metadata } : {}),
      ...(options.contentType ? { ContentType: options.contentType } : {}),
    };
    try {
      if (bytes.byteLength <= MULTIPART_THRESHOLD_BYTES) {
        await this.client.send(new PutObjectCommand(params));
        return;
      }
      const upload = new Upload({
        client: this.client,
        params,
        partSize: PART_SIZE_BYTES,
        queueSize: PARALLEL_PARTS,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (error) {
      throw toObjectStoreError(error, bytes.byteLength <= MULTIPART_THRESHOLD_BYTES ? 'PutObject' : 'Upload', {
        bucket: this.bucket,
        key,
      });
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
      return {
        key,
        body,
        size: body.byteLength,
        lastModified: response.LastModified ?? new Date(0),
        metadata: lowerCaseKeys(response.Metadata),
      };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw toObjectStoreError(error, 'GetObject', { bucket: this.bucket, key });
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: response.ContentLength ?? 0,
        lastModified: response.LastModified ?? new Date(0),
        metadata: lowerCaseKeys(response.Metadata),
      };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw toObjectStoreError(error, 'HeadObject', { bucket: this.bucket, key });
    }
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    const objects: ObjectSummary[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        const response = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
          }),
        );
        for (const object of response.Contents ?? []) {
          if (object.Key === undefined) continue;
          objects.push({ key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) });
        }
        continuationToken = response.IsTruncated ? response.NextContinuationToken : undefined;
      } while (continuationToken);
    } catch (error) {
      throw toObjectStoreError(error, 'ListObjectsV2', { bucket: this.bucket, prefix });
    }
    return objects.sort(compareKeys);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissingObject(error)) return;
      throw toObjectStoreError(error, 'DeleteObject', { bucket: this.bucket, key });
    }
  }
}
