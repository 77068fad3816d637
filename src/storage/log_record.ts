/**
 * Record bodies: `u8 type | payload`. Two types exist:
 *
 * - segment header: `"DSYNCWAL" | u32 formatVersion | u64 segmentSeq` (first record of a file);
 * - log update (one `append()` call, atomic under its checksum): `u8 flags`, then in order
 *   `[hard state: u64 term | u64 commitIndex | u8 votedForBytes (0 = null) | votedFor]`,
 *   `[truncate: u64 fromIndex]`, `[entries: u64 firstIndex | u32 count | count x
 *   (u64 term | u32 dataBytes | data)]`.
 *
 * Pure: no I/O.
 */
import { type ByteBuffer, readU64 } from "./byte_buffer.ts";
import { beginRecord, endRecord, RECORD_HEADER_BYTES } from "./record_frame.ts";
import type { LogRecordEntry } from "./types.ts";

/** Record type of a segment header. */
export const RECORD_TYPE_SEGMENT_HEADER = 1;
/** Record type of a log update. */
export const RECORD_TYPE_LOG_UPDATE = 2;

/** Log update flag: a hard state follows. */
const FLAG_HARD_STATE = 1;
/** Log update flag: a truncate-suffix marker follows. */
const FLAG_TRUNCATE = 2;
/** Log update flag: entries follow. */
const FLAG_ENTRIES = 4;

/** Magic bytes opening every segment header payload ("DSYNCWAL"). */
const SEGMENT_MAGIC = new TextEncoder().encode("DSYNCWAL");
/** Segment format version of a single-group log (`WriteAheadLog`). */
export const SEGMENT_FORMAT_VERSION = 2;
/** Size of a segment header record, in bytes. */
export const SEGMENT_HEADER_RECORD_BYTES = RECORD_HEADER_BYTES + 1 + 8 + 4 + 8;
/** Size of an entry's header inside a log update (u64 term, u32 dataBytes), in bytes. */
export const ENTRY_HEADER_BYTES = 12;

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: true });

/** A hard state with `votedFor` already encoded as UTF-8. */
export interface EncodedHardState {
  /** Latest term seen. */
  term: number;
  /** Highest committed index. */
  commitIndex: number;
  /** Vote in `term`, or null. */
  votedFor: string | null;
  /** UTF-8 of `votedFor` (1..255 bytes), or null. */
  votedForBytes: Uint8Array | null;
}

/** The content of one log update record; at least one part is present. */
export interface LogUpdate {
  /** New hard state, or null. */
  hardState: EncodedHardState | null;
  /** Drop entries at and after this index before adding `entries`; 0 = no truncation. */
  truncateFromIndex: number;
  /** Contiguous entries to add, or null. */
  entries: readonly LogRecordEntry[] | null;
}

/** Receives the parts of a decoded log update, in record order. */
export interface LogUpdateVisitor {
  /** A hard state was recorded. */
  hardState(term: number, commitIndex: number, votedFor: string | null): void;
  /** Entries at and after `fromIndex` were dropped. */
  truncate(fromIndex: number): void;
  /** An entry was recorded; its data is `bytes[dataOffset, dataOffset + dataBytes)`. */
  entry(index: number, term: number, dataOffset: number, dataBytes: number): void;
}

/** A record body that passed its checksum but cannot be decoded: never a torn write. */
export class RecordContentError extends Error {
  override name = "RecordContentError";
}

/** Size of the whole record (header included) that `encodeLogUpdate` writes, in bytes. */
export function logUpdateRecordBytes(update: LogUpdate): number {
  let bytes = RECORD_HEADER_BYTES + 2;
  if (update.hardState !== null) bytes += 17 + (update.hardState.votedForBytes?.length ?? 0);
  if (update.truncateFromIndex > 0) bytes += 8;
  if (update.entries !== null) {
    bytes += 12;
    for (const entry of update.entries) bytes += ENTRY_HEADER_BYTES + entry.data.length;
  }
  return bytes;
}

/**
 * Encodes one log update record of the batch starting at segment offset `batchOffset`; returns the offset of the first entry header, or -1. */
export function encodeLogUpdate(
  buffer: ByteBuffer,
  update: LogUpdate,
  batchOffset: number,
): number {
  const start = beginRecord(buffer, batchOffset);
  buffer.u8(RECORD_TYPE_LOG_UPDATE);
  const flags = (update.hardState !== null ? FLAG_HARD_STATE : 0) |
    (update.truncateFromIndex > 0 ? FLAG_TRUNCATE : 0) |
    (update.entries !== null ? FLAG_ENTRIES : 0);
  buffer.u8(flags);
  if (update.hardState !== null) {
    const hardState = update.hardState;
    buffer.u64(hardState.term);
    buffer.u64(hardState.commitIndex);
    buffer.u8(hardState.votedForBytes?.length ?? 0);
    if (hardState.votedForBytes !== null) buffer.bytes(hardState.votedForBytes);
  }
  if (update.truncateFromIndex > 0) buffer.u64(update.truncateFromIndex);
  let firstEntryOffset = -1;
  if (update.entries !== null) {
    buffer.u64(update.entries[0]?.index ?? 0);
    buffer.u32(update.entries.length);
    firstEntryOffset = buffer.lengthBytes;
    for (const entry of update.entries) {
      buffer.u64(entry.term);
      buffer.u32(entry.data.length);
      buffer.bytes(entry.data);
    }
  }
  endRecord(buffer, start);
  return firstEntryOffset;
}

/** Encodes the segment header record of segment `segmentSeq` (it opens the first batch). */
export function encodeSegmentHeader(
  buffer: ByteBuffer,
  segmentSeq: number,
  formatVersion = SEGMENT_FORMAT_VERSION,
): void {
  const start = beginRecord(buffer, 0);
  buffer.u8(RECORD_TYPE_SEGMENT_HEADER);
  buffer.bytes(SEGMENT_MAGIC);
  buffer.u32(formatVersion);
  buffer.u64(segmentSeq);
  endRecord(buffer, start);
}

/**
 * Decodes a segment header body `bytes[bodyStart, end)` of format `formatVersion`; returns its
 * segment sequence.
 */
export function decodeSegmentHeader(
  bytes: Uint8Array,
  view: DataView,
  bodyStart: number,
  end: number,
  formatVersion = SEGMENT_FORMAT_VERSION,
): number {
  if (end - bodyStart !== SEGMENT_HEADER_RECORD_BYTES - RECORD_HEADER_BYTES) {
    throw new RecordContentError(`segment header of ${end - bodyStart} bytes`);
  }
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
    if (bytes[bodyStart + 1 + i] !== SEGMENT_MAGIC[i]) {
      throw new RecordContentError("segment header without DSYNCWAL magic");
    }
  }
  const version = view.getUint32(bodyStart + 9, true);
  if (version !== formatVersion) {
    throw new RecordContentError(
      `segment format version ${version}, expected ${formatVersion}` +
        (formatVersion === SEGMENT_FORMAT_VERSION && version === 3
          ? " (a node log shared by several groups: open it as a NodeLog)"
          : version === SEGMENT_FORMAT_VERSION && formatVersion === 3
          ? " (a single-group log of the per-group layout: not migrated; start on an empty " +
            "data dir and rejoin)"
          : ""),
    );
  }
  return readU64(view, bodyStart + 13);
}

/** Decodes a log update body `bytes[bodyStart, end)`, calling `visitor` for each part. */
export function decodeLogUpdate(
  bytes: Uint8Array,
  view: DataView,
  bodyStart: number,
  end: number,
  visitor: LogUpdateVisitor,
): void {
  const reader = new BodyReader(view, bodyStart + 1, end);
  const flags = reader.u8();
  if (flags === 0 || (flags & ~(FLAG_HARD_STATE | FLAG_TRUNCATE | FLAG_ENTRIES)) !== 0) {
    throw new RecordContentError(`log update with flags ${flags}`);
  }
  if (flags & FLAG_HARD_STATE) {
    const term = reader.u64();
    const commitIndex = reader.u64();
    const votedForBytes = reader.u8();
    const votedForOffset = reader.skip(votedForBytes);
    const votedFor = votedForBytes === 0
      ? null
      : decodeUtf8(bytes.subarray(votedForOffset, votedForOffset + votedForBytes));
    visitor.hardState(term, commitIndex, votedFor);
  }
  if (flags & FLAG_TRUNCATE) visitor.truncate(reader.u64());
  if (flags & FLAG_ENTRIES) {
    const firstIndex = reader.u64();
    const count = reader.u32();
    if (firstIndex < 1 || count < 1) {
      throw new RecordContentError(`entries record at index ${firstIndex} with ${count} entries`);
    }
    for (let k = 0; k < count; k++) {
      const term = reader.u64();
      const dataBytes = reader.u32();
      visitor.entry(firstIndex + k, term, reader.skip(dataBytes), dataBytes);
    }
  }
  if (reader.offset !== end) {
    throw new RecordContentError(`log update has ${end - reader.offset} trailing bytes`);
  }
}

/** Decodes a `votedFor` field. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return TEXT_DECODER.decode(bytes);
  } catch {
    throw new RecordContentError("votedFor is not valid UTF-8");
  }
}

/** Bounds-checked little-endian reads within one record body. */
export class BodyReader {
  readonly #view: DataView;
  readonly #end: number;
  /** Next unread byte; never beyond `#end`. */
  offset: number;

  constructor(view: DataView, start: number, end: number) {
    this.#view = view;
    this.offset = start;
    this.#end = end;
  }

  /** Advances past `byteCount` bytes; returns where they start. */
  skip(byteCount: number): number {
    if (this.offset + byteCount > this.#end) {
      throw new RecordContentError(`record body truncated: needs ${byteCount} more bytes`);
    }
    const start = this.offset;
    this.offset += byteCount;
    return start;
  }

  /** Reads a u8. */
  u8(): number {
    return this.#view.getUint8(this.skip(1));
  }

  /** Reads a little-endian u32. */
  u32(): number {
    return this.#view.getUint32(this.skip(4), true);
  }

  /** Reads a little-endian u64 that must be a safe integer. */
  u64(): number {
    const value = readU64(this.#view, this.skip(8));
    if (value < 0) throw new RecordContentError("u64 field exceeds the safe integer range");
    return value;
  }
}
