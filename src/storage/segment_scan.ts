/**
 * Verifies the records of one segment image and decides how it ends: cleanly, with a torn tail
 * (only allowed in the last segment), or with corruption.
 *
 * A crash before an fdatasync completes may persist any subset of the pages of the batch being
 * written: a prefix, nothing, or later pages without earlier ones. So a damaged or incomplete
 * record is a torn tail when every whole, checksum-valid record after it belongs to the same
 * batch (the batch of the record before the damage, or a batch starting exactly at the
 * damage): that batch was never acknowledged. A valid record of any other batch after the
 * damage means data that was synced was changed, so scanning stops with `CorruptLogError`
 * instead of dropping it.
 *
 * Pure: no I/O.
 */
import { CorruptLogError } from "./errors.ts";
import { DecodeError } from "../../protocol/binary/mod.ts";
import {
  findValidRecord,
  readFrameAt,
  RECORD_HEADER_BYTES,
  recordBatchOffset,
} from "./record_frame.ts";

/** Called for each valid record, in file order. May throw a `DecodeError` (`RecordContentError`). */
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
  /** Batch offset of the last valid record. */
  let lastBatchOffset = 0;
  while (offset < bytes.length) {
    const frame = readFrameAt(bytes, view, offset, recordBytesMax);
    if (frame.kind === "record") {
      try {
        onRecord(offset, frame.bodyStart, frame.end);
      } catch (error) {
        if (error instanceof DecodeError) {
          throw new CorruptLogError(path, offset, error.message);
        }
        throw error;
      }
      lastBatchOffset = frame.batchOffset;
      offset = frame.end;
      continue;
    }
    if (offset === 0 && isOlderFormat(bytes)) {
      throw new CorruptLogError(
        path,
        0,
        "segment written by an older dsync (format 1); this version reads format 2 only: " +
          "start the node on an empty data dir and let it rejoin (see docs/storage.md)",
      );
    }
    if (frame.kind === "invalid") throw new CorruptLogError(path, offset, frame.reason);
    if (!isLastSegment) {
      throw new CorruptLogError(path, offset, `${frame.reason} in a segment that is not the last`);
    }
    if (frame.kind === "damaged") {
      checkTornBatch(path, bytes, view, offset, frame, lastBatchOffset, recordBytesMax);
    }
    return { offset, reason: frame.reason };
  }
  return null;
}

/**
 * Throws `CorruptLogError` unless every valid record after the damage at `damageOffset`
 * belongs to the batch of the last valid record or to a batch starting at the damage.
 */
function checkTornBatch(
  path: string,
  bytes: Uint8Array,
  view: DataView,
  damageOffset: number,
  frame: { reason: string; resumeAt: number },
  lastBatchOffset: number,
  recordBytesMax: number,
): void {
  let probe = frame.resumeAt;
  for (;;) {
    const validOffset = findValidRecord(bytes, view, probe, recordBytesMax);
    if (validOffset < 0) return;
    const batchOffset = recordBatchOffset(view, validOffset);
    if (batchOffset !== lastBatchOffset && batchOffset !== damageOffset) {
      throw new CorruptLogError(
        path,
        damageOffset,
        `${frame.reason} followed by a valid record at offset ${validOffset} of another ` +
          `batch (starting at ${batchOffset})`,
      );
    }
    probe = validOffset + RECORD_HEADER_BYTES + view.getUint32(validOffset, true);
  }
}

/** Bytes of the segment header of format 1 (12-byte frame header, "DSYNCWAL", version 1). */
const FORMAT_1_MAGIC_OFFSET = 13;

/** True when `bytes` opens with a format 1 segment header. */
function isOlderFormat(bytes: Uint8Array): boolean {
  const magic = "DSYNCWAL";
  if (bytes.length < FORMAT_1_MAGIC_OFFSET + magic.length + 4) return false;
  for (let i = 0; i < magic.length; i++) {
    if (bytes[FORMAT_1_MAGIC_OFFSET + i] !== magic.charCodeAt(i)) return false;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(FORMAT_1_MAGIC_OFFSET + magic.length, true) === 1;
}
