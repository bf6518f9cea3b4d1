/** The object store: S3 in AWS, a plain directory mirroring the bucket's keys locally. */
export type ObjectMetadata = Record<string, string>;

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectInfo extends ObjectSummary {
  /** User metadata (S3 `x-amz-meta-*`), keys in lower case. */
  metadata: ObjectMetadata;
}

export interface StoredObject extends ObjectInfo {
  body: Uint8Array;
}

export interface PutOptions {
  metadata?: ObjectMetadata;
  contentType?: string;
}

export interface ObjectStore {
  /** Writes the whole object atomically: readers see the old object or the new one, never a part. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<void>;
  /** `undefined` when the key does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /** `undefined` when the key does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectSummary[]>;
  /** Removes the object; no error when it does not exist. */
  delete(key: string): Promise<void>;
}
