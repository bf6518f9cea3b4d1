import { describe, expect, it } from 'vitest';
import { BAR_EMPTY, BAR_FULL, createProgressBar, renderProgressBar, trackWrites } from '#cli/progress.ts';
import type { QueueDepth } from '#shared/ports/queue.ts';

const terminal = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { isTTY, columns: 80, chunks, write: (text: string) => chunks.push(text) };
};

describe('renderProgressBar', () => {
  it('fills the bar in proportion and names the counts', () => {
    const line = renderProgressBar('writing', 25, 100, 80);

    expect(line).toMatch(/^writing +\[█+░+\] {2}25 \/ 100 dates {2}25%$/);
    const full = line.split(BAR_FULL).length - 1;
    const empty = line.split(BAR_EMPTY).length - 1;
    expect(full / (full + empty)).toBeCloseTo(0.25, 1);
  });

  it('fits a narrow terminal and never counts past the total', () => {
    const line = renderProgressBar('writing', 5_000, 3_651, 50);

    expect(line).toContain('3,651 / 3,651 dates  100%');
    expect(line).not.toContain(BAR_EMPTY);
  });

  it('shows only the phase while there is nothing to count yet', () => {
    expect(renderProgressBar('fetching', 0, 0)).toBe('fetching     ...');
  });
});

describe('createProgressBar', () => {
  it('draws in place on a terminal and clears its line when done', () => {
    const stream = terminal(true);
    const bar = createProgressBar({ stream });

    bar.update('writing', 1, 2);
    bar.update('writing', 2, 2);
    bar.finish();
    bar.update('writing', 2, 2);

    expect(stream.chunks).toHaveLength(3);
    expect(stream.chunks[0]).toMatch(/^\rwriting +\[/);
    expect(stream.chunks[1]).toContain('2 / 2 dates  100%');
    expect(stream.chunks[2]).toBe('\r\x1b[K');
  });

  it('writes nothing when the stream is not a terminal', () => {
    const stream = terminal(false);
    const bar = createProgressBar({ stream });

    bar.update('writing', 1, 2);
    bar.finish();

    expect(stream.chunks).toEqual([]);
  });

  it('writes nothing on a terminal when turned off (--quiet, --json)', () => {
    const stream = terminal(true);
    const bar = createProgressBar({ stream, enabled: false });

    bar.update('writing', 1, 2);
    bar.finish();

    expect(stream.chunks).toEqual([]);
  });
});

describe('trackWrites', () => {
  it('counts settled write messages against those settled plus those still queued', async () => {
    const updates: [string, number, number][] = [];
    const bar = { update: (l: string, d: number, t: number) => updates.push([l, d, t]), finish: () => {} };
    let depth: QueueDepth = { visible: 30, inFlight: 0, delayed: 0 };
    const onBatch = trackWrites(bar, { depth: async () => depth });

    onBatch('fetch', 1, 0);
    onBatch('transform', 1, 0);
    await Promise.resolve();
    depth = { visible: 20, inFlight: 0, delayed: 0 };
    onBatch('write', 10, 0);
    await new Promise((resolve) => setImmediate(resolve));

    expect(updates[0]).toEqual(['fetching', 0, 0]);
    expect(updates.at(-1)).toEqual(['writing', 10, 30]);
  });
});
