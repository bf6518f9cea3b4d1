import * as z from 'zod';
import { ConfigError } from './errors.ts';

/**
 * All configuration, from one environment-like record. A pure function of its argument: tests pass literals,
 * lambda.ts and the CLI pass process.env (the CLI first folds its flags in).
 */
const Env = z.object({
  FREDLAKE_BACKEND: z.enum(['local', 'aws']).default('local'),
  FREDLAKE_DATA_DIR: z.string().min(1).default('./.fredlake'),
  FRED_API_URL: z.string().url().default('https://api.stlouisfed.org/fred'),
  FRED_API_KEY: z.string().optional(),
  /** AWS: the Secrets Manager secret that holds the key (read once per cold start). */
  FRED_API_KEY_SECRET_ARN: z.string().optional(),
  FRED_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  FRED_BASE_DELAY_MS: z.coerce.number().int().min(0).default(500),
  FRED_MAX_DELAY_MS: z.coerce.number().int().min(0).default(4_000),
  FRED_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(550),
  FRED_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  FREDLAKE_SP500_SERIES: z
    .string()
    .regex(/^[A-Za-z0-9]{1,25}$/)
    .default('SP500'),
  FREDLAKE_CPI_SERIES: z
    .string()
    .regex(/^[A-Za-z0-9]{1,25}$/)
    .default('CPIAUCSL'),
  FREDLAKE_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(3),
  FREDLAKE_VISIBILITY_TIMEOUT_S: z.coerce.number().int().min(0).max(43_200).default(2),
  FREDLAKE_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('WARN'),
  POWERTOOLS_SERVICE_NAME: z.string().default('fredlake'),
  // AWS backend
  AWS_REGION: z.string().optional(),
  FREDLAKE_BUCKET: z.string().optional(),
  FREDLAKE_FETCH_QUEUE_URL: z.string().optional(),
  FREDLAKE_TRANSFORM_QUEUE_URL: z.string().optional(),
  FREDLAKE_WRITE_QUEUE_URL: z.string().optional(),
  FREDLAKE_FETCH_DLQ_URL: z.string().optional(),
  FREDLAKE_TRANSFORM_DLQ_URL: z.string().optional(),
  FREDLAKE_WRITE_DLQ_URL: z.string().optional(),
  FREDLAKE_GLUE_DATABASE: z.string().optional(),
  FREDLAKE_GLUE_TABLE: z.string().default('fred_daily'),
  FREDLAKE_ATHENA_WORKGROUP: z.string().optional(),
  /** Custom endpoint for S3/SQS/Glue/Athena (tests point it at in-process servers). */
  AWS_ENDPOINT_URL: z.string().optional(),
  /** Service-specific endpoints (the AWS SDKs' own variable names); each falls back to AWS_ENDPOINT_URL. */
  AWS_ENDPOINT_URL_GLUE: z.string().optional(),
  AWS_ENDPOINT_URL_ATHENA: z.string().optional(),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: z.string().optional(),
});

export interface FredConfig {
  apiUrl: string;
  apiKey: string | undefined;
  apiKeySecretArn: string | undefined;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  minIntervalMs: number;
  timeoutMs: number;
}

export interface AwsConfig {
  region: string | undefined;
  endpoint: string | undefined;
  /** Per-service endpoint overrides (Glue, Athena and Secrets Manager have no shared emulator with S3/SQS). */
  serviceEndpoints?: Partial<Record<'glue' | 'athena' | 'secrets', string>>;
  bucket: string | undefined;
  queueUrls: Partial<Record<'fetch' | 'transform' | 'write', string>>;
  dlqUrls: Partial<Record<'fetch' | 'transform' | 'write', string>>;
  glueDatabase: string | undefined;
  glueTable: string;
  athenaWorkgroup: string | undefined;
}

export interface Config {
  backend: 'local' | 'aws';
  dataDir: string;
  fred: FredConfig;
  series: { sp500: string; cpi: string };
  queues: { maxReceiveCount: number; visibilityTimeoutSeconds: number };
  writeConcurrency: number;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  serviceName: string;
  aws: AwsConfig;
}

const strip = (record: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => !!entry[1]));

export const loadConfig = (env: Record<string, string | undefined>): Config => {
  const parsed = Env.safeParse(strip(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid configuration ${name}: ${issue?.message ?? 'invalid value'}`, { variable: name });
  }
  const e = parsed.data;
  return {
    backend: e.FREDLAKE_BACKEND,
    dataDir: e.FREDLAKE_DATA_DIR,
    fred: {
      apiUrl: e.FRED_API_URL.replace(/\/+$/, ''),
      apiKey: e.FRED_API_KEY,
      apiKeySecretArn: e.FRED_API_KEY_SECRET_ARN,
      maxAttempts: e.FRED_MAX_ATTEMPTS,
      baseDelayMs: e.FRED_BASE_DELAY_MS,
      maxDelayMs: e.FRED_MAX_DELAY_MS,
      minIntervalMs: e.FRED_MIN_INTERVAL_MS,
      timeoutMs: e.FRED_TIMEOUT_MS,
    },
    series: { sp500: e.FREDLAKE_SP500_SERIES, cpi: e.FREDLAKE_CPI_SERIES },
    queues: {
      maxReceiveCount: e.FREDLAKE_MAX_RECEIVE_COUNT,
      visibilityTimeoutSeconds: e.FREDLAKE_VISIBILITY_TIMEOUT_S,
    },
    writeConcurrency: e.FREDLAKE_WRITE_CONCURRENCY,
    logLevel: e.LOG_LEVEL,
    serviceName: e.POWERTOOLS_SERVICE_NAME,
    aws: {
      region: e.AWS_REGION,
      endpoint: e.AWS_ENDPOINT_URL,
      serviceEndpoints: strip({
        glue: e.AWS_ENDPOINT_URL_GLUE,
        athena: e.AWS_ENDPOINT_URL_ATHENA,
        secrets: e.AWS_ENDPOINT_URL_SECRETS_MANAGER,
      }),
      bucket: e.FREDLAKE_BUCKET,
      queueUrls: strip({
        fetch: e.FREDLAKE_FETCH_QUEUE_URL,
        transform: e.FREDLAKE_TRANSFORM_QUEUE_URL,
        write: e.FREDLAKE_WRITE_QUEUE_URL,
      }),
      dlqUrls: strip({
        fetch: e.FREDLAKE_FETCH_DLQ_URL,
        transform: e.FREDLAKE_TRANSFORM_DLQ_URL,
        write: e.FREDLAKE_WRITE_DLQ_URL,
      }),
      glueDatabase: e.FREDLAKE_GLUE_DATABASE,
      glueTable: e.FREDLAKE_GLUE_TABLE,
      athenaWorkgroup: e.FREDLAKE_ATHENA_WORKGROUP,
    },
  };
};
