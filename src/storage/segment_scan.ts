/**
 * Verifies the records of one segment image and decides how it ends: cleanly, with a torn tail
 * (only allowed in the last segment), or with corruption.
 *
 * A torn tail is a damaged or incomplete record after which no whole, checksum-valid record
 * exists: what a crash in the middle of an unacknowledged write leaves behind (zero bytes,
 * garbage, or a prefix). Damage followed by a valid record means data that was already synced
 * was changed, so scanning stops with `CorruptLogError` instead of dropping it.
 *
 * Pure: no I/O.
 */
import { CorruptLogError } from "./errors.ts";
import { RecordContentError } from "./log_record.ts";
import { findValidRecord, readFrameAt } from "./record_frame.ts";

/** Called for each valid record, in file order. May throw `RecordContentError`. */
export type RecordHandler = (offset: number, bodyStart: number, end: number) => void;

/** A torn tail found in the last segment: everything from `offset` on must be cut. */
export interface TornTail {
  /** First byte of the torn record (the segment's new size). */
  offset: number;
  /** Why the record is unusable. */
  reason: string;
}

/**
 * Scans `bytes` (the content of segment `path`), calling `onRecord` for each valid record.
 * Returns the torn tail to cut, or null when the segment ends cleanly. Throws
 * `CorruptLogError` for damage that is not a torn tail of the last segment.
 */
export function scanSegment(
  path: string,
  bytes: Uint8Array,
  isLastSegment: boolean,
  recordBytesMax: number,
  onRecord: RecordHandler,
): TornTail | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.length) {
    const frame = readFrameAt(bytes, view, offset, recordBytesMax);
    if (frame.kind === "record") {
      try {
        onRecord(offset, frame.bodyStart, frame.end);
      } catch (error) {
        if (error instanceof RecordContentError) {
          throw new CorruptLogError(path, offset, error.message);
        }
        throw error;
      }
      offset = frame.end;
      continue;
    }
    if (frame.kind === "invalid") throw new CorruptLogError(path, offset, frame.reason);
    if (!isLastSegment) {
      throw new CorruptLogError(path, offset, `${frame.reason} in a segment that is not the last`);
    }
    if (frame.kind === "damaged") {
      const validOffset = findValidRecord(bytes, view, frame.resumeAt, recordBytesMax);
      if (validOffset >= 0) {
        throw new CorruptLogError(
          path,
          offset,
          `${frame.reason} followed by a valid record at offset ${validOffset}`,
        );
      }
    }
    return { offset, reason: frame.reason };
  }
  return null;
}
