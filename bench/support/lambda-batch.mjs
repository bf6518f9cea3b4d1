// Runs one bundled Lambda handler the way the Lambda runtime does: import the bundle, invoke `handler` with an
// SQS event read from a JSON file, then report timings and peak RSS as one JSON line on stdout.
// Usage: node lambda-batch.mjs <bundle index.mjs> <event.json> [invocations]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile, times = '1'] = process.argv.slice(2);
if (!bundle || !eventFile) throw new Error('usage: lambda-batch.mjs <bundle> <event.json> [invocations]');
const events = JSON.parse(readFileSync(eventFile, 'utf8'));

const t0 = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const importMs = performance.now() - t0;
const invokeMs = [];
const failures = [];
for (let i = 0; i < Number(times); i++) {
  const began = performance.now();
  const response = await handler(events[i % events.length], {});
  invokeMs.push(performance.now() - began);
  failures.push(response?.batchItemFailures?.length ?? 0);
}
process.stdout.write(
  `${JSON.stringify({ importMs, invokeMs, failures, maxRssKb: process.resourceUsage().maxRSS, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 })}\n`,
);
