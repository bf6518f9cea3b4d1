/**
 * Makes a Parquet file's key-value metadata order canonical. parquet-wasm collects the key-value metadata in a
 * Rust HashMap, so the same entries come out in a different order from one call to the next and equal inputs give
 * different bytes. The footer (FileMetaData, Thrift compact protocol) holds them as list field 5 of KeyValue structs;
 * sorting that list's elements by key permutes bytes inside the same span, so no length or offset changes.
 */
import { PartitionInvalidError } from '#shared/errors.ts';

const MAGIC = 'PAR1';
const KEY_VALUE_METADATA_FIELD = 5;

// Thrift compact protocol type ids.
const BOOLEAN_TRUE = 1;
const BOOLEAN_FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

const malformed = (what: string): PartitionInvalidError =>
  new PartitionInvalidError(`Parquet footer is malformed: ${what}.`);

class Reader {
  position: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
  }

  byte(): number {
    const value = this.bytes[this.position];
    if (value === undefined || this.position >= this.end) throw malformed('unexpected end');
    this.position += 1;
    return value;
  }

  /** An unsigned varint; callers only need it for sizes, so it must fit a safe integer. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
      if (scale > 2 ** 63) throw malformed('varint too long');
    }
  }

  advance(count: number): void {
    if (count < 0 || this.position + count > this.end) throw malformed('length past the footer');
    this.position += count;
  }

  binary(): Uint8Array {
    const length = this.varint();
    const start = this.position;
    this.advance(length);
    return this.bytes.subarray(start, this.position);
  }

  /** Field header: returns [fieldId, type], type 0 at the struct's end. */
  fieldHeader(previousId: number): [number, number] {
    const header = this.byte();
    const type = header & 0x0f;
    if (type === 0) return [0, 0];
    const delta = header >> 4;
    if (delta !== 0) return [previousId + delta, type];
    const zigzag = this.varint();
    return [zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2, type];
  }

  listHeader(): [number, number] {
    const header = this.byte();
    const size = header >> 4;
    return [size === 15 ? this.varint() : size, header & 0x0f];
  }

  skip(type: number): void {
    switch (type) {
      case BOOLEAN_TRUE:
      case BOOLEAN_FALSE:
        return;
      case BYTE:
        this.advance(1);
        return;
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        this.advance(8);
        return;
      case BINARY:
        this.binary();
        return;
      case LIST:
      case SET: {
        const [size, elementType] = this.listHeader();
        for (let i = 0; i < size; i++) this.skipElement(elementType);
        return;
      }
      case MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(types >> 4);
          this.skipElement(types & 0x0f);
        }
        return;
      }
      case STRUCT:
        this.skipStruct();
        return;
      default:
        throw malformed(`unknown type ${type}`);
    }
  }

  /** Inside collections a boolean takes one byte. */
  private skipElement(type: number): void {
    if (type === BOOLEAN_TRUE || type === BOOLEAN_FALSE) this.advance(1);
    else this.skip(type);
  }

  skipStruct(): void {
    let id = 0;
    for (;;) {
      const [fieldId, type] = this.fieldHeader(id);
      if (type === 0) return;
      this.skip(type);
      id = fieldId;
    }
  }
}

/** A KeyValue struct's key (field 1), read from a reader placed at the struct's start. */
const readKey = (reader: Reader): Uint8Array => {
  let id = 0;
  let key: Uint8Array | undefined;
  for (;;) {
    const [fieldId, type] = reader.fieldHeader(id);
    if (type === 0) break;
    if (fieldId === 1 && type === BINARY) key = reader.binary();
    else reader.skip(type);
    id = fieldId;
  }
  if (key === undefined) throw malformed('key-value entry without a key');
  return key;
};

const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
};

/** Sorts the file's key-value metadata entries by key, in place; returns the same array. */
export const sortKeyValueMetadata = (file: Uint8Array): Uint8Array => {
  if (file.length < 12 || new TextDecoder().decode(file.subarray(file.length - 4)) !== MAGIC) {
    throw malformed('no PAR1 trailer');
  }
  const footerLength = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(file.length - 8, true);
  const footerEnd = file.length - 8;
  const reader = new Reader(file, footerEnd - footerLength, footerEnd);

  let id = 0;
  for (;;) {
    const [fieldId, type] = reader.fieldHeader(id);
    if (type === 0) return file;
    if (fieldId === KEY_VALUE_METADATA_FIELD && type === LIST) break;
    reader.skip(type);
    id = fieldId;
  }

  const [size, elementType] = reader.listHeader();
  if (elementType !== STRUCT) throw malformed('key-value metadata is not a list of structs');
  const entries: { key: Uint8Array; bytes: Uint8Array }[] = [];
  const start = reader.position;
  for (let i = 0; i < size; i++) {
    const entryStart = reader.position;
    const key = readKey(reader);
    entries.push({ key, bytes: file.slice(entryStart, reader.position) });
  }
  entries.sort((a, b) => compareBytes(a.key, b.key));
  let offset = start;
  for (const entry of entries) {
    file.set(entry.bytes, offset);
    offset += entry.bytes.length;
  }
  return file;
};
