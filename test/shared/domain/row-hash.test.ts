import { describe, expect, it } from 'vitest';
import type { DailyValues } from '#shared/domain/daily-rows.ts';
import { hashBytes, hashRow } from '#shared/domain/row-hash.ts';

const base: DailyValues = {
  sp500_daily_price: 4769.83,
  sp500_daily_percentage_change: 0,
  cpi_level: 308.742,
  cpi_annual_percentage_change: 3.35,
};

describe('hashRow', () => {
  it('gives equal values the same sha256 hex, whatever the key order', () => {
    const reordered: DailyValues = {
      cpi_annual_percentage_change: 3.35,
      cpi_level: 308.742,
      sp500_daily_percentage_change: 0,
      sp500_daily_price: 4769.83,
    };

    const [a, b] = [hashRow(base), hashRow(reordered)];

    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  // 4769.83 lies in [2^12, 2^13), so its last mantissa bit is worth 2^-40; 308.742 in [2^8, 2^9): 2^-44.
  it.each([
    ['the price', { sp500_daily_price: 4769.84 }],
    ['the price by its last bit', { sp500_daily_price: 4769.83 + 2 ** -40 }],
    ['the change from 0 to the smallest double', { sp500_daily_percentage_change: Number.MIN_VALUE }],
    ['the CPI level to null', { cpi_level: null }],
    ['the CPI level by its last bit', { cpi_level: 308.742 + 2 ** -44 }],
    ['the CPI annual change to null', { cpi_annual_percentage_change: null }],
    ['the CPI annual change to 0', { cpi_annual_percentage_change: 0 }],
  ] as const)('changes when only %s changes', (_what, change) => {
    const changed = { ...base, ...change };

    const hash = hashRow(changed);

    expect(changed).not.toEqual(base);
    expect(hash).not.toBe(hashRow(base));
  });

  it('tells 0 from null in the CPI columns', () => {
    const zero = { ...base, cpi_level: 0, cpi_annual_percentage_change: 0 };
    const empty = { ...base, cpi_level: null, cpi_annual_percentage_change: null };

    const [a, b] = [hashRow(zero), hashRow(empty)];

    expect(a).not.toBe(b);
  });

  it('tells which column is null', () => {
    const levelMissing = { ...base, cpi_level: null, cpi_annual_percentage_change: 5 };
    const changeMissing = { ...base, cpi_level: 5, cpi_annual_percentage_change: null };

    const [a, b] = [hashRow(levelMissing), hashRow(changeMissing)];

    expect(a).not.toBe(b);
  });
});

describe('hashBytes', () => {
  it('is the sha256 hex of bytes, a string hashing as its UTF-8 bytes', () => {
    const text = 'abc';

    const [fromString, fromBytes] = [hashBytes(text), hashBytes(new TextEncoder().encode(text))];

    // FIPS 180-2 test vector for "abc".
    expect(fromString).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(fromBytes).toBe(fromString);
  });
});
