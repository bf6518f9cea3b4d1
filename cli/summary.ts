import type { Config } from '#shared/config.ts';
import { QUEUE_NAMES } from '#shared/ports/queue.ts';
import { plural } from './format.ts';
import type { RunSummary } from './pipeline.ts';

export const formatRunSummary = (summary: RunSummary, config: Config): string => {
  const { audit } = summary;
  const problems = audit.missing.length + audit.mismatched.length + audit.unregistered.length;
  // Messages a killed or failed earlier run left behind are not this run's failure, but they need a redrive.
  const earlier = QUEUE_NAMES.reduce((n, q) => n + Math.max(0, summary.dlqDepth[q] - summary.deadLettered[q]), 0);
  const lines = [
    `fredlake run ${summary.runId} (${config.dataDir})`,
    `  fetch runs   ${summary.fetchRuns.join(', ') || 'none completed'} (${plural(summary.fredRequests, 'FRED request')}, ${summary.fredRateLimited} rate-limited)`,
    `  written      ${plural(summary.written, 'partition')}`,
    `  unchanged    ${plural(summary.unchanged, 'partition')}`,
    `  dataset      ${plural(audit.expected, 'date')}${audit.firstDate ? ` (${audit.firstDate} .. ${audit.lastDate})` : ''}`,
    `  audit        ${problems === 0 ? 'no gaps' : `${audit.missing.length} missing, ${audit.mismatched.length} mismatched, ${audit.unregistered.length} unregistered`}${audit.extra.length ? `, ${audit.extra.length} extra` : ''}`,
    `  DLQs         ${QUEUE_NAMES.map((q) => `${q} ${summary.dlqDepth[q]}`).join(', ')}${earlier > 0 ? ` (${earlier} from earlier runs: see \`fredlake dlq list\`, then \`fredlake redrive\`)` : ''}`,
    `  elapsed      ${(summary.elapsedMs / 1000).toFixed(1)} s`,
  ];
  return `${lines.join('\n')}\n`;
};
