/**
 * Record framing: `u32 bodyBytes | u32 batchOffset | u32 crc32c(body) |
 * u32 crc32c(first 12 header bytes) | body`, little-endian. The header has its own checksum so
 * a damaged length is never trusted: that is what lets recovery tell a torn tail from damage
 * in the middle of the log. `batchOffset` is the segment offset where the record's batch (one
 * write + one fdatasync) begins: every record of a batch carries the same value, so recovery
 * can tell records of the same unsynced batch from data synced earlier.
 *
 * Pure: no I/O.
 */
import { assert } from "../util/assert.ts";
import type { BinaryWriter } from "../../protocol/binary/mod.ts";
import { crc32c } from "./crc32.ts";

/** Size of a record header, in bytes. */
export const RECORD_HEADER_BYTES = 16;

/** Result of reading the frame at one offset. */
export type FrameRead =
  /** A whole record with valid checksums; its body is `bytes[bodyStart, end)`. */
  | { kind: "record"; bodyStart: number; end: number; batchOffset: number }
  /** The header is valid but the body runs past the end: a torn final write. */
  | { kind: "incomplete"; reason: string }
  /**
   * Checksum failure (or a partial header). A torn tail if nothing valid follows; the search
   * for valid data resumes at `resumeAt` (after the body when the length is trusted).
   */
  | { kind: "damaged"; reason: string; resumeAt: number }
  /** Checksums pass but the header is impossible: never a torn write, always corruption. */
  | { kind: "invalid"; reason: string };

/**
 * Starts a record of the batch that begins at segment offset `batchOffset`: writes a
 * placeholder header; returns the record's start offset in `buffer`.
 */
export function beginRecord(buffer: BinaryWriter, batchOffset: number): number {
  assert(Number.isSafeInteger(batchOffset) && batchOffset >= 0, "batch offset is a u32");
  const start = buffer.lengthBytes;
  buffer.u32le(0).u32le(batchOffset).u32le(0).u32le(0);
  return start;
}

/** Finishes the record begun at `start`: fills in its length and checksums. */
export function endRecord(buffer: BinaryWriter, start: number): void {
  const end = buffer.lengthBytes;
  const bodyBytes = end - start - RECORD_HEADER_BYTES;
  assert(bodyBytes >= 1, "a record body holds at least its type byte");
  const bytes = buffer.view();
  buffer.patchU32le(start, bodyBytes);
  buffer.patchU32le(start + 8, crc32c(bytes, 0, start + RECORD_HEADER_BYTES, end));
  buffer.patchU32le(start + 12, crc32c(bytes, 0, start, start + 12));
}

/** The batch offset recorded in the (checksum-valid) header of the record at `offset`. */
export function recordBatchOffset(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true);
}

/** Reads the frame starting at `offset` (< `bytes.length`) of a segment image. */
export function readFrameAt(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  recordBytesMax: number,
): FrameRead {
  const available = bytes.length - offset;
  assert(available > 0, "a frame is read before the end of the segment");
  if (available < RECORD_HEADER_BYTES) {
    return {
      kind: "damaged",
      reason: `incomplete header (${available} of ${RECORD_HEADER_BYTES} bytes)`,
      resumeAt: offset + 1,
    };
  }
  const bodyBytes = view.getUint32(offset, true);
  if (crc32c(bytes, 0, offset, offset + 12) !== view.getUint32(offset + 12, true)) {
    return { kind: "damaged", reason: "header checksum mismatch", resumeAt: offset + 1 };
  }
  if (bodyBytes < 1 || bodyBytes + RECORD_HEADER_BYTES > recordBytesMax) {
    return {
      kind: "invalid",
      reason: `record length ${bodyBytes + RECORD_HEADER_BYTES} outside ` +
        `${RECORD_HEADER_BYTES + 1}..${recordBytesMax}`,
    };
  }
  const batchOffset = recordBatchOffset(view, offset);
  if (batchOffset > offset) {
    return { kind: "invalid", reason: `record claims a batch starting later, at ${batchOffset}` };
  }
  const end = offset + RECORD_HEADER_BYTES + bodyBytes;
  if (end > bytes.length) {
    return {
      kind: "incomplete",
      reason: `incomplete body (${available - RECORD_HEADER_BYTES} of ${bodyBytes} bytes)`,
    };
  }
  const bodyStart = offset + RECORD_HEADER_BYTES;
  if (crc32c(bytes, 0, bodyStart, end) !== view.getUint32(offset + 8, true)) {
    return { kind: "damaged", reason: "body checksum mismatch", resumeAt: end };
  }
  return { kind: "record", bodyStart, end, batchOffset };
}

/**
 * Returns the offset of the first whole, checksum-valid record starting at or after `from`,
 * or -1. Used only after a damaged record: finding one means the damage is not a torn tail.
 */
export function findValidRecord(
  bytes: Uint8Array,
  view: DataView,
  from: number,
  recordBytesMax: number,
): number {
  const lastStart = bytes.length - RECORD_HEADER_BYTES - 1;
  for (let offset = from; offset <= lastStart; offset++) {
    const bodyBytes = view.getUint32(offset, true);
    if (bodyBytes < 1 || bodyBytes + RECORD_HEADER_BYTES > recordBytesMax) continue;
    const end = offset + RECORD_HEADER_BYTES + bodyBytes;
    if (end > bytes.length) continue;
    if (crc32c(bytes, 0, offset, offset + 12) !== view.getUint32(offset + 12, true)) continue;
    if (crc32c(bytes, 0, offset + RECORD_HEADER_BYTES, end) !== view.getUint32(offset + 8, true)) {
      continue;
    }
    return offset;
  }
  return -1;
}
