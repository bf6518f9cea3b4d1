import { createHash } from 'node:crypto';
import { COLUMNS, type DailyValues } from './daily-rows.ts';

/** Bumped if the encoding below ever changes, so old and new hashes never compare equal by accident. */
const ENCODING = 'fredlake.row.v1';
const NULL_TAG = 0;
const NUMBER_TAG = 1;

/**
 * sha256 (hex) of a row's four values in COLUMNS order, each encoded exactly: a tag byte (null or number), then
 * for a number its 8 IEEE-754 bytes (big-endian). Equal hashes mean bit-identical values; any change, down to the
 * last bit of a double or a 0 becoming null, gives another hash. This is how a run tells which dates changed.
 */
export const hashRow = (values: DailyValues): string => {
  const view = new DataView(new ArrayBuffer(COLUMNS.length * 9));
  COLUMNS.forEach((column, index) => {
    const value = values[column];
    const offset = index * 9;
    if (value === null) {
      view.setUint8(offset, NULL_TAG);
    } else {
      view.setUint8(offset, NUMBER_TAG);
      view.setFloat64(offset + 1, value);
    }
  });
  return createHash('sha256').update(ENCODING).update(new Uint8Array(view.buffer)).digest('hex');
};

/** sha256 (hex) of bytes, or of a string's UTF-8 bytes: raw landing-zone files are checked with it. */
export const hashBytes = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
