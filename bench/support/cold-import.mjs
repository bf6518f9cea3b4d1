// Cold import of one bundle in a fresh process: prints the milliseconds `import()` took.
import { pathToFileURL } from 'node:url';

const t0 = performance.now();
await import(pathToFileURL(process.argv[2] ?? '').href);
process.stdout.write(`${performance.now() - t0}\n`);
