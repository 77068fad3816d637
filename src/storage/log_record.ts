/**
 * Record bodies are `u8 type | payload`. This file holds the segment header
 * (`"DSYNCWAL" | u32 formatVersion | u64 segmentSeq`, first record of a file) and the pieces the
 * group records of `group_record.ts` share: the hard state encoding, the visitor of decoded
 * parts, the body reader.
 *
 * Pure: no I/O.
 */
import { type ByteBuffer, readU64 } from "./byte_buffer.ts";
import { beginRecord, endRecord, RECORD_HEADER_BYTES } from "./record_frame.ts";

/** Record type of a segment header. */
export const RECORD_TYPE_SEGMENT_HEADER = 1;
/** Magic bytes opening every segment header payload ("DSYNCWAL"). */
const SEGMENT_MAGIC = new TextEncoder().encode("DSYNCWAL");
/** Segment format version of the retired single-group layout, recognised only to refuse it. */
export const SEGMENT_FORMAT_VERSION = 2;
/** Size of a segment header record, in bytes. */
export const SEGMENT_HEADER_RECORD_BYTES = RECORD_HEADER_BYTES + 1 + 8 + 4 + 8;
/** Size of an entry's header inside a record (u64 term, u32 dataBytes), in bytes. */
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

/** Receives the parts of a decoded group record, in record order. */
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

/** Encodes the segment header record of segment `segmentSeq` (it opens the first batch). */
export function encodeSegmentHeader(
  buffer: ByteBuffer,
  segmentSeq: number,
  formatVersion: number,
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
  formatVersion: number,
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
        (version === SEGMENT_FORMAT_VERSION
          ? " (a single-group log of the per-group layout: not migrated; start on an empty " +
            "data dir and rejoin)"
          : ""),
    );
  }
  return readU64(view, bodyStart + 13);
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
