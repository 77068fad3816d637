/**
 * A crash before an fdatasync completes may persist later pages of a batch without earlier
 * ones. Recovery treats a damaged record followed only by records of the same (unsynced)
 * batch as a torn tail, and still fail-stops on damage followed by data of another batch.
 */
import assert from "node:assert/strict";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { CorruptLogError } from "../../src/storage/mod.ts";
import { encodeGroupUpdate, NODE_LOG_FORMAT_VERSION } from "../../src/storage/group_record.ts";
import { encodeSegmentHeader } from "../../src/storage/log_record.ts";
import { scanSegment } from "../../src/storage/segment_scan.ts";
import { CapturingLog, describe, makeEntries, openSim, SIM_DATA_DIR, simDisk } from "./helpers.ts";
import { SIM_PAGE_BYTES } from "./sim_file_system.ts";

const DATA_DIR = SIM_DATA_DIR;
const SEGMENT = `${DATA_DIR}/wal/00000000000000000001.seg`;

/** Builds a segment image of batches; `batches[k]` is the entry count of batch k. */
function image(batches: number[]): { bytes: Uint8Array; offsets: number[] } {
  const buffer = new BinaryWriter(1 << 16, 1 << 16);
  encodeSegmentHeader(buffer, 1, NODE_LOG_FORMAT_VERSION);
  const offsets: number[] = [];
  let index = 1;
  for (const count of batches) {
    const batchOffset = buffer.lengthBytes;
    for (let k = 0; k < count; k++) {
      offsets.push(buffer.lengthBytes);
      encodeGroupUpdate(buffer, {
        groupId: 1,
        hardState: null,
        truncateFromIndex: 0,
        snapshot: null,
        removed: false,
        entries: makeEntries(index++, 1, 1),
      }, batchOffset);
    }
  }
  return { bytes: buffer.copy(), offsets };
}

function scan(bytes: Uint8Array) {
  const seen: number[] = [];
  const torn = scanSegment("seg", bytes, true, 1 << 20, (offset) => seen.push(offset));
  return { seen, torn };
}

Deno.test("damage followed only by records of the same batch is a torn tail", () => {
  const { bytes, offsets } = image([2, 4]);
  bytes.fill(0, offsets[3]!, offsets[4]!); // a page of the last batch never reached the disk
  const { seen, torn } = scan(bytes);
  assert.deepEqual(seen, [0, ...offsets.slice(0, 3)]);
  assert.equal(torn?.offset, offsets[3]);
});

Deno.test("damage to the first record of the last batch followed by that batch is torn", () => {
  const { bytes, offsets } = image([2, 3]);
  bytes[offsets[2]! + 1]! ^= 0xff;
  assert.equal(scan(bytes).torn?.offset, offsets[2]);
});

Deno.test("damage followed by a record of a later batch is corruption", () => {
  const { bytes, offsets } = image([3, 2]);
  bytes.fill(0, offsets[1]!, offsets[2]!); // inside batch 1, which batch 2 proves was synced
  assert.throws(() => scan(bytes), (error: unknown) => {
    assert.ok(error instanceof CorruptLogError);
    assert.equal(error.offset, offsets[1]);
    assert.match(error.message, /of another batch/);
    return true;
  });
});

Deno.test("a segment of the older format is refused with a clear message", () => {
  const old = new Uint8Array(64);
  old.set(new TextEncoder().encode("DSYNCWAL"), 13);
  new DataView(old.buffer).setUint32(21, 1, true);
  assert.throws(() => scan(old), /older dsync \(format 1\)/);
});

/** Entries of about `dataBytes` bytes each. */
function bigEntries(from: number, count: number, dataBytes: number) {
  return makeEntries(from, count, 1).map((entry) => ({
    ...entry,
    data: new Uint8Array(dataBytes).fill(entry.index),
  }));
}

/** `keep` answers for the dirty pages of a crash in order (then false). */
function pattern(...keep: boolean[]): () => number {
  return () => (keep.shift() ? 0 : 1);
}

Deno.test("a crash keeping later pages of an unsynced batch but not earlier ones recovers", async () => {
  const fs = await simDisk();
  const wal = await openSim(fs);
  await wal.append({ entries: bigEntries(1, 1, 100) });
  fs.crashAfterOps(1); // the batch's write lands in the page cache, its fdatasync never runs
  const pending = [2, 3, 4].map((index) => wal.append({ entries: bigEntries(index, 1, 3000) }));
  await Promise.allSettled(pending);
  assert.equal(fs.powerCut, true);
  fs.crash(pattern(false, true, true)); // page 0 lost, pages 1 and 2 kept
  const log = new CapturingLog();
  const reopened = await openSim(fs, { log });
  assert.equal(reopened.lastIndex(), 1);
  assert.deepEqual(describe(await reopened.entries(1, 2)), describe(bigEntries(1, 1, 100)));
  assert.equal(reopened.stats().tornTailCount, 1);
  assert.match(log.lines[0]!.message, /Truncated torn tail/);
  await reopened.close();
});

Deno.test("a cut torn tail is durable before a new batch can land over it", async () => {
  const fs = await simDisk();
  const wal = await openSim(fs);
  await wal.append({ entries: bigEntries(1, 1, 100) });
  // One unsynced batch over pages 0..2: entry 2 in page 0, entry 3 reaching into page 1 (lost),
  // entry 4 wholly in page 2 (kept).
  fs.crashAfterOps(1);
  const torn = [
    wal.append({ entries: bigEntries(2, 1, 100) }),
    wal.append({ entries: bigEntries(3, 1, 8000) }),
    wal.append({ entries: bigEntries(4, 1, 3000) }),
  ];
  await Promise.allSettled(torn);
  fs.crash(pattern(true, false, true));
  const cut = await openSim(fs);
  assert.equal(cut.lastIndex(), 2);
  const cutSize = fs.fileBytes(SEGMENT)!.length;
  await cut.close();
  // A new unsynced batch over the cut: its second record reaches into page 1, which is lost.
  const again = await openSim(fs);
  fs.crashAfterOps(1);
  const pending = [
    again.append({ entries: bigEntries(3, 1, 50) }),
    again.append({ entries: bigEntries(4, 1, SIM_PAGE_BYTES - cutSize + 1000) }),
  ];
  await Promise.allSettled(pending);
  fs.crash(pattern(true, false, false));
  // The entry of the old torn batch beyond the cut must not come back to look like corruption.
  const reopened = await openSim(fs);
  assert.ok(reopened.lastIndex() >= 2);
  assert.deepEqual(
    describe(await reopened.entries(1, 3)),
    describe([...bigEntries(1, 1, 100), ...bigEntries(2, 1, 100)]),
  );
  await reopened.close();
});
