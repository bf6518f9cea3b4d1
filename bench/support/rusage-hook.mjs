// Preloaded into a benchmarked process (`node --import <this file> ...`): at exit it writes the process's peak
// resident set size and CPU times to the file named by FREDLAKE_BENCH_RUSAGE. Nothing in fredlake knows about it.
import { writeFileSync } from 'node:fs';

const out = process.env.FREDLAKE_BENCH_RUSAGE;
if (out) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(
      out,
      JSON.stringify({
        maxRssKb: usage.maxRSS,
        userMs: usage.userCPUTime / 1000,
        systemMs: usage.systemCPUTime / 1000,
      }),
    );
  });
}
