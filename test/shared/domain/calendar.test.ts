import { describe, expect, it } from 'vitest';
import { addDays, addMonths, eachDay, isValidIsoDate, monthOf } from '#shared/domain/calendar.ts';

describe('calendar', () => {
  it('refuses dates that do not exist', () => {
    expect(isValidIsoDate('2024-02-29')).toBe(true);
    expect(isValidIsoDate('2023-02-29')).toBe(false);
    expect(isValidIsoDate('2024-02-30')).toBe(false);
    expect(isValidIsoDate('2024-2-3')).toBe(false);
  });

  it('walks days across month and year ends', () => {
    expect(addDays('2023-12-31', 1)).toBe('2024-01-01');
    expect(eachDay('2024-02-27', '2024-03-01')).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
    expect(eachDay('2024-03-02', '2024-03-01')).toEqual([]);
  });

  it('steps months back across years', () => {
    expect(addMonths('2024-03-01', -12)).toBe('2023-03-01');
    expect(addMonths('2024-01-01', -1)).toBe('2023-12-01');
    expect(monthOf('2024-03-17')).toBe('2024-03-01');
  });
});
