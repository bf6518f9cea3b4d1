import { mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import { COPIED_MODULES, LOCAL_ONLY_MODULES, REQUIRE_BANNER, type Stage } from '#infra/pipeline-function.ts';
import { MANIFEST_PREFIX } from '#shared/domain/keys.ts';
import { s3ObjectCreatedEvent } from '#shared/runtime/s3-notification.ts';
import { startAwsTestServers } from '#test/support/aws-servers.ts';
import { startFredServer, TEST_FRED_KEY } from '#test/support/fred-server.ts';
import { FULL_LAKE_DAY } from './lake.ts';
import { REPO_ROOT, runNode, type Stats, stats } from './measure.ts';

export interface LambdaReport {
  rows: { scenario: string; metric: string; unit: string; stats: Stats; target?: string; met?: boolean }[];
  notes: string[];
  details: Record<string, unknown>;
}

const STAGES: Stage[] = ['fetcher', 'transformer', 'writer', 'gap-auditor'];

/**
 * The heap limits Lambda's Node.js bootstrap gives a 128 MB function (a tenth of the memory for the young generation,
 * half of that per semi-space, the rest old space; as we know the bootstrap script, to be checked), with the source
 * maps the stack enables (NODE_OPTIONS=--enable-source-maps).
 */
const LAMBDA_128_FLAGS = ['--enable-source-maps', '--max-semi-space-size=6', '--max-old-space-size=116'];
const MB = 1024 * 1024;

/** esbuild with the options infra/pipeline-function.ts gives NodejsFunction (CDK runs esbuild with the same). */
const bundle = async (stage: Stage, outDir: string) => {
  const outfile = join(outDir, stage, 'index.mjs');
  const result = await build({
    entryPoints: [join(REPO_ROOT, 'services', stage, 'lambda.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: REQUIRE_BANNER },
    external: [...LOCAL_ONLY_MODULES, ...COPIED_MODULES],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  // As afterBundling copies it: parquet-wasm beside the bundle, nothing else (a missing module fails the import).
  await mkdir(join(outDir, stage, 'node_modules'), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules', 'parquet-wasm'), join(outDir, stage, 'node_modules', 'parquet-wasm'));
  const inputs = Object.entries(
    result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith('.mjs')) ?? '']?.inputs ?? {},
  );
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of inputs) {
    const name = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? '(fredlake)';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return { outfile, bytes: (await stat(outfile)).size, top };
};

const dirSize = async (dir: string): Promise<number> => {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
};

/** Glue's JSON protocol, just enough for the writer: every partition registered, none listed. */
const startGlueStub = async () => {
  let calls = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      calls += 1;
      const target = String(request.headers['x-amz-target'] ?? '');
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      response.end(target.endsWith('GetPartitions') ? '{"Partitions":[]}' : '{"Errors":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const sqsEvent = (
  queueArn: string,
  messages: { MessageId?: string | undefined; ReceiptHandle?: string | undefined; Body?: string | undefined }[],
) => ({
  Records: messages.map((m) => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  })),
});

interface BatchResult {
  importMs: number;
  invokeMs: number[];
  failures: number[];
  maxRssKb: number;
}

/**
 * Scenario 4: each function bundled as CDK bundles it; bundle size, cold import (fresh process), and peak RSS of a
 * cold process handling one batch on the AWS adapters (S3 and SQS on fauxqs, Glue on a stub, FRED synthetic): the
 * fetcher a backfill fetch request, the transformer that run's manifest (3,650 write messages), the writer 10 of them.
 */
export const runLambdaScenario = async (work: string, runs: number): Promise<LambdaReport> => {
  const report: LambdaReport = { rows: [], notes: [], details: {} };
  const outDir = join(work, 'lambda');
  const wasmBytes = await dirSize(join(REPO_ROOT, 'node_modules', 'parquet-wasm', 'node'));
  const bundles = new Map<Stage, string>();
  for (const stage of STAGES) {
    const { outfile, bytes, top } = await bundle(stage, outDir);
    bundles.set(stage, outfile);
    const mb = bytes / MB;
    report.rows.push({
      scenario: 'lambda',
      metric: `${stage} bundle (minified, parquet-wasm aside)`,
      unit: 'MB',
      stats: stats([mb]),
      target: '<= 1.5 MB',
      met: mb <= 1.5,
    });
    report.details[`${stage}.bundleTop`] = top.map(([name, b]) => `${name} ${(b / 1024).toFixed(0)} KB`);
    const imports: number[] = [];
    for (let i = 0; i < runs; i++) {
      const run = await runNode(['bench/support/cold-import.mjs', outfile], {}, ['--enable-source-maps']);
      if (run.code !== 0) throw new Error(`importing the ${stage} bundle failed: ${run.stderr.slice(0, 1500)}`);
      imports.push(Number(run.stdout.trim()));
    }
    report.rows.push({ scenario: 'lambda', metric: `${stage} cold import`, unit: 'ms', stats: stats(imports) });
  }
  report.notes.push(
    `parquet-wasm (copied beside the writer/auditor bundles, not counted above): ${(wasmBytes / MB).toFixed(1)} MB`,
  );
  for (const stage of STAGES)
    report.notes.push(
      `${stage} bundle, largest parts: ${(report.details[`${stage}.bundleTop`] as string[]).join(', ')}`,
    );

  const aws = await startAwsTestServers();
  const glue = await startGlueStub();
  const fred = await startFredServer({ today: FULL_LAKE_DAY });
  try {
    const bucket = 'fredlake-bench';
    await aws.createBucket(bucket);
    const pairs = {
      fetch: await aws.createQueuePair('fetch', 3),
      transform: await aws.createQueuePair('transform', 3),
      write: await aws.createQueuePair('write', 3),
    };
    const env: Record<string, string> = {
      FREDLAKE_BACKEND: 'aws',
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ENDPOINT_URL_GLUE: glue.endpoint,
      FREDLAKE_BUCKET: bucket,
      FREDLAKE_GLUE_DATABASE: 'fredlake',
      FRED_API_URL: fred.url,
      FRED_API_KEY: TEST_FRED_KEY,
      LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    for (const [name, pair] of Object.entries(pairs)) {
      env[`FREDLAKE_${name.toUpperCase()}_QUEUE_URL`] = pair.queueUrl;
      env[`FREDLAKE_${name.toUpperCase()}_DLQ_URL`] = pair.dlqUrl;
    }
    const invoke = async (stage: Stage, event: unknown, label: string, compare = true): Promise<BatchResult> => {
      const eventFile = join(work, `${stage}-event.json`);
      await writeFile(eventFile, JSON.stringify([event]));
      const run = await runNode(
        ['bench/support/lambda-batch.mjs', bundles.get(stage) ?? '', eventFile],
        env,
        LAMBDA_128_FLAGS,
      );
      const line = run.stdout.trim().split('\n').at(-1) ?? '';
      if (run.code !== 0 || !line.startsWith('{'))
        throw new Error(`${stage} batch failed: ${run.stderr.slice(0, 1500)}`);
      const result = JSON.parse(line) as BatchResult;
      if (result.failures.some((n) => n > 0))
        throw new Error(`${stage} reported failures: ${run.stdout.slice(0, 1500)}`);
      // The same batch again with Node's default heap sizing, for comparison (not for the transformer: its run is applied).
      const unconstrained = compare
        ? await runNode(['bench/support/lambda-batch.mjs', bundles.get(stage) ?? '', eventFile], env, [
            '--enable-source-maps',
          ])
        : undefined;
      report.rows.push({
        scenario: 'lambda',
        metric: `${stage} peak RSS at 128 MB limits, ${label}`,
        unit: 'MB',
        stats: stats([result.maxRssKb / 1024]),
        target: '<= 128 MB',
        met: result.maxRssKb / 1024 <= 128,
      });
      report.details[`${stage}.batch`] = { label, ...result, unconstrainedMaxRssMb: unconstrained?.maxRssMb };
      report.notes.push(
        `${stage}, ${label}: import ${result.importMs.toFixed(0)} ms, cold invocation ${result.invokeMs[0]?.toFixed(0)} ms, ` +
          `peak RSS ${(result.maxRssKb / 1024).toFixed(0)} MB with the 128 MB heap limits` +
          (unconstrained ? `, ${unconstrained.maxRssMb.toFixed(0)} MB with Node's defaults` : ''),
      );
      return result;
    };

    await invoke(
      'fetcher',
      sqsEvent(pairs.fetch.queueArn, [{ MessageId: 'f1', Body: '{"version":1,"reason":"backfill"}' }]),
      '1 fetch request (backfill)',
    );
    const s3 = aws.s3Client();
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: MANIFEST_PREFIX }));
    const manifest = listed.Contents?.[0]?.Key;
    if (!manifest) throw new Error('the fetcher wrote no manifest');
    await invoke(
      'transformer',
      sqsEvent(pairs.transform.queueArn, [
        { MessageId: 't1', Body: JSON.stringify(s3ObjectCreatedEvent(bucket, manifest)) },
      ]),
      'the backfill manifest (3,650 dates)',
      false,
    );
    const sqs = aws.sqsClient();
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pairs.write.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
    );
    if ((received.Messages?.length ?? 0) !== 10)
      throw new Error(`expected 10 write messages, got ${received.Messages?.length}`);
    await invoke('writer', sqsEvent(pairs.write.queueArn, received.Messages ?? []), 'a batch of 10 write messages');
    report.notes.push(`Glue stub calls: ${glue.calls()}`);
  } finally {
    await fred.close();
    await glue.close();
    await aws.close();
  }
  return report;
};
