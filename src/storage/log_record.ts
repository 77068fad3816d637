/**
 * Record bodies are `u8 type | payload`. This file holds the segment header
 * (`"DSYNCWAL" | u32 formatVersion | u64 segmentSeq`, first record of a file) and the pieces the
 * group records of `group_record.ts` share: the hard state encoding, the visitor of decoded
 * parts, the body reader.
 *
 * Pure: no I/O.
 */
import { BinaryReader, type BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
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

/**
 * A record body that passed its checksum but cannot be decoded: never a torn write. A
 * DecodeError from the BinaryReader over a body means the same thing.
 */
export class RecordContentError extends DecodeError {
  override name = "RecordContentError";
}

/** Encodes the segment header record of segment `segmentSeq` (it opens the first batch). */
export function encodeSegmentHeader(
  buffer: BinaryWriter,
  segmentSeq: number,
  formatVersion: number,
): void {
  const start = beginRecord(buffer, 0);
  buffer.u8(RECORD_TYPE_SEGMENT_HEADER).fixed(SEGMENT_MAGIC).u32le(formatVersion).u53le(segmentSeq);
  endRecord(buffer, start);
}

/**
 * Decodes a segment header body `bytes[bodyStart, end)` of format `formatVersion`; returns its
 * segment sequence.
 */
export function decodeSegmentHeader(
  bytes: Uint8Array,
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
  const reader = new BinaryReader(bytes, "segment header", bodyStart + 9, end);
  const version = reader.u32le();
  if (version !== formatVersion) {
    throw new RecordContentError(
      `segment format version ${version}, expected ${formatVersion}` +
        (version === SEGMENT_FORMAT_VERSION
          ? " (a single-group log of the per-group layout: not migrated; start on an empty " +
            "data dir and rejoin)"
          : ""),
    );
  }
  return reader.u53le();
}

/** Decodes a `votedFor` field. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return TEXT_DECODER.decode(bytes);
  } catch {
    throw new RecordContentError("votedFor is not valid UTF-8");
  }
}
