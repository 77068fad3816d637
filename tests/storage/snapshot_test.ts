import assert from "node:assert/strict";
import {
  CorruptLogError,
  CorruptSnapshotError,
  InvalidLogRequestError,
  LogCompactedError,
  StorageLimitError,
} from "../../src/storage/mod.ts";
import {
  CapturingLog,
  describe,
  makeEntries,
  openLog,
  rejection,
  snapshotDir,
  withTempDir,
} from "./helpers.ts";

const CONFIG = new TextEncoder().encode("voters=n1,n2,n3");
const SMALL_SEGMENTS = { segmentBytesMax: 2048, recordBytesMax: 1024, batchBytesMax: 1024 };

function snapshotPath(dir: string, index: number): string {
  return `${snapshotDir(dir)}/${String(index).padStart(20, "0")}.snap`;
}

Deno.test("saveSnapshot then loadSnapshot and reopen keep the snapshot and the suffix", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 10, 1) });
    const data = new Uint8Array(5000).map((_, i) => i % 251);
    await wal.saveSnapshot({ index: 6, term: 1, config: CONFIG }, data);
    assert.equal(wal.firstIndex(), 7);
    assert.equal(wal.lastIndex(), 10);
    assert.equal(wal.term(6), 1);
    assert.equal(wal.term(5), undefined);
    await assert.rejects(wal.entries(5, 8), LogCompactedError);
    assert.deepEqual(wal.snapshotMeta(), { index: 6, term: 1, config: CONFIG });
    const loaded = await wal.loadSnapshot();
    assert.deepEqual(loaded, { index: 6, term: 1, config: CONFIG, data });
    await wal.close();

    const reopened = await openLog(dir);
    assert.equal(reopened.firstIndex(), 7);
    assert.equal(reopened.lastIndex(), 10);
    assert.deepEqual(describe(await reopened.entries(7, 11)), describe(makeEntries(7, 4, 1)));
    assert.deepEqual(await reopened.loadSnapshot(), { index: 6, term: 1, config: CONFIG, data });
    await reopened.close();
  });
});

Deno.test("a leftover temporary snapshot file is ignored and removed", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 4, 1) });
    await wal.saveSnapshot({ index: 2, term: 1, config: CONFIG }, new Uint8Array([1, 2]));
    await wal.close();
    const tmp = `${snapshotPath(dir, 4)}.tmp`;
    await Deno.writeFile(tmp, new Uint8Array([9, 9, 9]));
    const reopened = await openLog(dir);
    assert.equal((await reopened.loadSnapshot())?.index, 2);
    await assert.rejects(Deno.stat(tmp), Deno.errors.NotFound);
    await reopened.close();
  });
});

Deno.test("a snapshot removes older snapshots and the segments it covers", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, SMALL_SEGMENTS);
    await wal.append({ hardState: { term: 1, votedFor: "n2", commitIndex: 0 } });
    for (let index = 1; index <= 200; index += 4) {
      await wal.append({ entries: makeEntries(index, 4, 1) });
    }
    const before = wal.stats().segmentCount;
    assert.ok(before >= 5, `got ${before} segments`);
    await wal.saveSnapshot({ index: 50, term: 1, config: CONFIG }, new Uint8Array([1]));
    await wal.saveSnapshot({ index: 190, term: 1, config: CONFIG }, new Uint8Array([2]));
    const after = wal.stats();
    assert.ok(after.segmentCount <= 2, `kept ${after.segmentCount} of ${before} segments`);
    assert.equal(after.segmentRemovedCount, before - after.segmentCount);
    const snapFiles = [...Deno.readDirSync(snapshotDir(dir))].map((entry) => entry.name);
    assert.deepEqual(snapFiles, ["00000000000000000190.snap"]);
    await wal.close();

    // The vote was recorded only in the first (now removed) segment: it must survive.
    const reopened = await openLog(dir, SMALL_SEGMENTS);
    assert.deepEqual(reopened.hardState(), { term: 1, votedFor: "n2", commitIndex: 0 });
    assert.equal(reopened.firstIndex(), 191);
    assert.equal(reopened.lastIndex(), 200);
    assert.deepEqual(describe(await reopened.entries(191, 201)), describe(makeEntries(191, 10, 1)));
    await reopened.close();
  });
});

Deno.test("a snapshot beyond the log empties it; a conflicting one drops the suffix", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 3, 1) });
    await wal.saveSnapshot({ index: 10, term: 3, config: CONFIG }, new Uint8Array([1]));
    assert.equal(wal.firstIndex(), 11);
    assert.equal(wal.lastIndex(), 10);
    assert.equal(wal.term(10), 3);
    await wal.append({ entries: makeEntries(11, 5, 3) });
    // Term 4 at index 12 conflicts with the local term 3: entries after 12 must go.
    await wal.saveSnapshot({ index: 12, term: 4, config: CONFIG }, new Uint8Array([2]));
    assert.equal(wal.lastIndex(), 12);
    assert.equal(wal.term(12), 4);
    await wal.close();
    const reopened = await openLog(dir);
    assert.equal(reopened.firstIndex(), 13);
    assert.equal(reopened.lastIndex(), 12);
    assert.equal(reopened.term(12), 4);
    await reopened.append({ entries: makeEntries(13, 1, 4) });
    await reopened.close();
  });
});

Deno.test("saveSnapshot refuses stale indexes, oversized parts and concurrent saves", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, { snapshotConfigBytesMax: 16, snapshotDataBytesMax: 100 });
    await wal.append({ entries: makeEntries(1, 10, 1) });
    await wal.saveSnapshot({ index: 5, term: 1, config: CONFIG }, new Uint8Array(100));
    await assert.rejects(
      wal.saveSnapshot({ index: 5, term: 1, config: CONFIG }, new Uint8Array()),
      /not newer than the snapshot at index 5/,
    );
    const bigConfig = new Uint8Array(17);
    const error = await rejection(
      wal.saveSnapshot({ index: 6, term: 1, config: bigConfig }, new Uint8Array()),
      StorageLimitError,
    );
    assert.match(error.message, /config of 17 bytes exceeds maximum of 16/);
    await assert.rejects(
      wal.saveSnapshot({ index: 6, term: 1, config: CONFIG }, new Uint8Array(101)),
      /data of 101 bytes exceeds maximum of 100 bytes/,
    );
    const first = wal.saveSnapshot({ index: 7, term: 1, config: CONFIG }, new Uint8Array());
    await assert.rejects(
      wal.saveSnapshot({ index: 8, term: 1, config: CONFIG }, new Uint8Array()),
      /still being saved/,
    );
    await assert.rejects(wal.append({ entries: makeEntries(7, 1, 2) }), InvalidLogRequestError);
    await wal.append({ entries: makeEntries(11, 1, 1) });
    await first;
    assert.equal(wal.firstIndex(), 8);
    assert.equal(wal.lastIndex(), 11);
    await wal.close();
  });
});

Deno.test("a damaged newest snapshot is skipped at open; the recorded one covers the log", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 10, 1) });
    await wal.saveSnapshot({ index: 4, term: 1, config: CONFIG }, new Uint8Array([7, 7]));
    await wal.close();
    // A newer snapshot file whose record never reached the log (crash between the two), damaged.
    const bytes = await Deno.readFile(snapshotPath(dir, 4));
    bytes[bytes.length - 6]! ^= 0xff;
    await Deno.writeFile(snapshotPath(dir, 8), bytes);
    const log = new CapturingLog();
    const reopened = await openLog(dir, { log });
    assert.equal(reopened.snapshotMeta()?.index, 4);
    assert.equal(reopened.firstIndex(), 5);
    assert.equal(reopened.lastIndex(), 10);
    const warning = log.lines.find((line) => line.level === "warn");
    assert.match(String(warning?.fields?.reason), /body checksum mismatch|index/);
    await reopened.close();
  });
});

Deno.test("a damaged snapshot the log recorded stops recovery naming its directory", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 10, 1) });
    await wal.saveSnapshot({ index: 4, term: 1, config: CONFIG }, new Uint8Array([7, 7]));
    await wal.close();
    const path = snapshotPath(dir, 4);
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 6]! ^= 0xff;
    await Deno.writeFile(path, bytes);
    const error = await rejection(openLog(dir), CorruptLogError);
    assert.equal(error.file, snapshotDir(dir));
    assert.match(error.message, /needs a snapshot up to index 4/);
  });
});

Deno.test("loadSnapshot reports a snapshot damaged after open", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 3, 1) });
    await wal.saveSnapshot({ index: 2, term: 1, config: CONFIG }, new Uint8Array([1, 2, 3]));
    const path = snapshotPath(dir, 2);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 1));
    await assert.rejects(wal.loadSnapshot(), CorruptSnapshotError);
    await wal.close();
  });
});

Deno.test("a snapshot larger than one I/O chunk round-trips intact", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 2, 1) });
    const data = new Uint8Array(9 * 1024 * 1024 + 7).map((_, i) => (i * 7) % 256);
    await wal.saveSnapshot({ index: 2, term: 1, config: CONFIG }, data);
    await wal.close();
    const reopened = await openLog(dir);
    const loaded = await reopened.loadSnapshot();
    assert.equal(loaded?.data.length, data.length);
    assert.ok(loaded.data.every((byte, i) => byte === data[i]));
    await reopened.close();
  });
});

Deno.test("loadSnapshot during a newer save returns one of the two snapshots", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 4, 1) });
    await wal.saveSnapshot({ index: 2, term: 1, config: CONFIG }, new Uint8Array([2]));
    const loading = wal.loadSnapshot();
    const saving = wal.saveSnapshot({ index: 3, term: 1, config: CONFIG }, new Uint8Array([3]));
    const [loaded] = await Promise.all([loading, saving]);
    assert.ok(loaded !== null && [2, 3].includes(loaded.index));
    assert.deepEqual(loaded.data, new Uint8Array([loaded.index]));
    await wal.close();
  });
});
