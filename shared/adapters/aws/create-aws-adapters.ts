import type { Config } from '../../config.ts';
import { CURATED_PREFIX } from '../../domain/keys.ts';
import { ConfigError } from '../../errors.ts';
import { FredClient } from '../../fred/client.ts';
import type { Logger } from '../../logger.ts';
import type { Catalog } from '../../ports/catalog.ts';
import type { QueueName, Queues } from '../../ports/queue.ts';
import type { SqlEngine } from '../../ports/sql-engine.ts';
import { AthenaQuery } from './athena-query.ts';
import { createAwsClients, readSecretOnce } from './clients.ts';
import { GlueCatalog } from './glue-catalog.ts';
import { S3FailureLog } from './s3-failure-log.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { SqsQueue } from './sqs-queue.ts';

const required = (value: string | undefined, name: string): string => {
  if (!value) throw new ConfigError(`${name} is not set (the stack's outputs name it)`, { variable: name });
  return value;
};

/** S3, SQS, Glue and Secrets Manager adapters from the stack's names (passed to the functions as environment). */
export const createAwsAdapters = (config: Config) => {
  const { aws } = config;
  const clients = createAwsClients(aws);
  const bucket = required(aws.bucket, 'FREDLAKE_BUCKET');
  const store = new S3ObjectStore(clients.s3, bucket);
  const queue = (name: QueueName): SqsQueue => {
    const upper = name.toUpperCase();
    return new SqsQueue(clients.sqs, {
      name,
      queueUrl: required(aws.queueUrls[name], `FREDLAKE_${upper}_QUEUE_URL`),
      dlqUrl: required(aws.dlqUrls[name], `FREDLAKE_${upper}_DLQ_URL`),
      maxReceiveCount: config.queues.maxReceiveCount,
    });
  };
  // Queues are built when first used: a function only needs the URLs of the queues it touches.
  const cache = new Map<QueueName, SqsQueue>();
  const queues = new Proxy({} as Queues, {
    get: (_target, name: string) => {
      if (name !== 'fetch' && name !== 'transform' && name !== 'write') return undefined;
      const existing = cache.get(name);
      if (existing) return existing;
      const created = queue(name);
      cache.set(name, created);
      return created;
    },
  });
  let glue: GlueCatalog | undefined;
  const glueCatalog = (): GlueCatalog => {
    glue ??= new GlueCatalog(clients.glue, {
      database: required(aws.glueDatabase, 'FREDLAKE_GLUE_DATABASE'),
      table: aws.glueTable,
      location: `s3://${bucket}/${CURATED_PREFIX}`,
    });
    return glue;
  };
  // Built when first used, like the queues: the fetcher has no Glue database in its environment.
  const catalog: Catalog = {
    registerPartitions: (dates) => glueCatalog().registerPartitions(dates),
    listPartitions: () => glueCatalog().listPartitions(),
  };
  const createFred = async (logger: Logger): Promise<FredClient> => {
    const apiKey = config.fred.apiKeySecretArn
      ? await readSecretOnce(clients.secrets, config.fred.apiKeySecretArn)
      : config.fred.apiKey;
    if (!apiKey) throw new ConfigError('Neither FRED_API_KEY_SECRET_ARN nor FRED_API_KEY is set');
    return new FredClient({ ...config.fred, apiKey: apiKey.trim(), logger });
  };
  return {
    store,
    queues,
    catalog,
    failures: new S3FailureLog(store),
    // Athena only when a query runs: no Lambda needs it.
    sql: {
      query: (sql: string) =>
        new AthenaQuery(clients.athena, {
          database: required(aws.glueDatabase, 'FREDLAKE_GLUE_DATABASE'),
          workgroup: required(aws.athenaWorkgroup, 'FREDLAKE_ATHENA_WORKGROUP'),
        }).query(sql),
    } satisfies SqlEngine,
    bucket,
    createFred,
    close: async () => {},
  };
};
