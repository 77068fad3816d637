import assert from "node:assert/strict";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { crc32c } from "../../src/storage/crc32.ts";
import { CorruptLogError } from "../../src/storage/errors.ts";
import { encodeGroupUpdate, NODE_LOG_FORMAT_VERSION } from "../../src/storage/group_record.ts";
import { encodeSegmentHeader } from "../../src/storage/log_record.ts";
import { findValidRecord, readFrameAt } from "../../src/storage/record_frame.ts";
import { scanSegment } from "../../src/storage/segment_scan.ts";

const RECORD_BYTES_MAX = 1 << 20;

/** A segment image: header plus `count` one-record batches; returns it and record offsets. */
function image(count: number): { bytes: Uint8Array; offsets: number[] } {
  const buffer = new BinaryWriter(1 << 16, 1 << 16);
  encodeSegmentHeader(buffer, 1, NODE_LOG_FORMAT_VERSION);
  const offsets: number[] = [];
  for (let k = 0; k < count; k++) {
    const offset = buffer.lengthBytes;
    offsets.push(offset);
    const data = new TextEncoder().encode(`entry ${k + 1}`);
    // Each record is its own batch (written and synced alone).
    encodeGroupUpdate(buffer, {
      groupId: 1,
      hardState: null,
      truncateFromIndex: 0,
      snapshot: null,
      removed: false,
      entries: [{ index: k + 1, term: 1, data }],
    }, offset);
  }
  return { bytes: buffer.copy(), offsets };
}

function scan(bytes: Uint8Array, isLast = true) {
  const seen: number[] = [];
  const torn = scanSegment("seg", bytes, isLast, RECORD_BYTES_MAX, (offset) => seen.push(offset));
  return { seen, torn };
}

Deno.test("a clean segment yields every record and no torn tail", () => {
  const { bytes, offsets } = image(3);
  const { seen, torn } = scan(bytes);
  assert.deepEqual(seen, [0, ...offsets]);
  assert.equal(torn, null);
});

Deno.test("zero bytes after the last record are a torn tail at the first zero", () => {
  const { bytes } = image(2);
  const padded = new Uint8Array(bytes.length + 4096);
  padded.set(bytes);
  const { seen, torn } = scan(padded);
  assert.equal(seen.length, 3);
  assert.deepEqual(torn, { offset: bytes.length, reason: "header checksum mismatch" });
});

Deno.test("a damaged header followed by a valid record is corruption", () => {
  const { bytes, offsets } = image(3);
  bytes[offsets[1]!]! ^= 0x80;
  assert.equal(
    findValidRecord(bytes, new DataView(bytes.buffer), offsets[1]! + 1, 1 << 20),
    offsets[2],
  );
  assert.throws(() => scan(bytes), (error: unknown) => {
    assert.ok(error instanceof CorruptLogError);
    assert.equal(error.offset, offsets[1]);
    return true;
  });
});

Deno.test("any damage in a segment that is not the last is corruption", () => {
  const { bytes } = image(2);
  assert.throws(() => scan(bytes.subarray(0, bytes.length - 1), false), CorruptLogError);
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  assert.throws(() => scan(padded, false), /not the last/);
});

Deno.test("a checksum-valid header with a zero length is corruption, not a torn write", () => {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(12, crc32c(bytes, 0, 0, 12), true);
  assert.equal(readFrameAt(bytes, view, 0, RECORD_BYTES_MAX).kind, "invalid");
  const segment = image(1).bytes;
  const withBadRecord = new Uint8Array(segment.length + bytes.length);
  withBadRecord.set(segment);
  withBadRecord.set(bytes, segment.length);
  assert.throws(() => scan(withBadRecord), /record length 16 outside/);
});
