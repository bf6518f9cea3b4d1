import { describe, expect, it } from 'vitest';
import { newRunId, RUN_ID_PATTERN } from '#shared/domain/run-id.ts';

describe('newRunId', () => {
  it('sorts runs made in the same millisecond in the order they were made, whatever their random suffix', () => {
    const now = new Date('2026-11-26T15:35:02.123Z');
    const suffixes = ['ffffff', '000000', '7a7a7a'];

    const ids = suffixes.map((suffix) => newRunId(now, () => suffix));

    expect(ids[0]).toMatch(/^20261126T153502123Z-ffffff$/);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(RUN_ID_PATTERN);
  });

  it('sorts a later run after an earlier one across seconds', () => {
    const first = newRunId(new Date('2027-01-01T00:00:00.999Z'), () => 'ffffff');

    const second = newRunId(new Date('2027-01-01T00:00:01.000Z'), () => '000000');

    expect(first < second).toBe(true);
  });
});
