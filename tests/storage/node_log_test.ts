import assert from "node:assert/strict";
import {
  CorruptLogError,
  InvalidLogRequestError,
  NodeLog,
  type NodeLogOptions,
  StorageLimitError,
  WalClosedError,
} from "../../src/storage/mod.ts";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { encodeSegmentHeader, SEGMENT_FORMAT_VERSION } from "../../src/storage/log_record.ts";
import { describe, makeEntries, simDisk, testOptions, withTempDir } from "./helpers.ts";

const CONFIG = new TextEncoder().encode("voters=n1");
const SMALL = { segmentBytesMax: 8192, recordBytesMax: 1024, batchBytesMax: 2048, groupsMax: 8 };

function openNode(dir: string, overrides: Partial<NodeLogOptions> = {}): Promise<NodeLog> {
  return NodeLog.open(dir, { ...testOptions(), groupsMax: 16, ...overrides });
}

Deno.test("node log: groups append independently and every group is rebuilt on reopen", async () => {
  await withTempDir(async (dir) => {
    const log = await openNode(dir);
    const a = log.group(1);
    const b = log.group(7);
    await a.append({
      entries: makeEntries(1, 3, 1),
      hardState: { term: 1, votedFor: "n1", commitIndex: 1 },
    });
    await b.append({
      entries: makeEntries(1, 5, 2),
      hardState: { term: 2, votedFor: "n2", commitIndex: 0 },
    });
    await a.append({ entries: makeEntries(3, 2, 2) }); // truncates a's entry 3 of term 1
    await log.close();

    const reopened = await openNode(dir);
    assert.deepEqual(reopened.groupIds(), [1, 7]);
    const a2 = reopened.group(1);
    assert.equal(a2.lastIndex(), 4);
    assert.deepEqual(
      describe(await a2.entries(1, 5)),
      describe([...makeEntries(1, 2, 1), ...makeEntries(3, 2, 2)]),
    );
    assert.deepEqual(a2.hardState(), { term: 1, votedFor: "n1", commitIndex: 1 });
    const b2 = reopened.group(7);
    assert.deepEqual(describe(await b2.entries(1, 6)), describe(makeEntries(1, 5, 2)));
    assert.deepEqual(b2.hardState(), { term: 2, votedFor: "n2", commitIndex: 0 });
    await reopened.close();
  });
});

Deno.test("node log: one Ready round of 64 groups is one write and one fdatasync", async () => {
  await withTempDir(async (dir) => {
    const log = await openNode(dir, { groupsMax: 128, segmentBytesMax: 256 * 1024 });
    await log.appendRound([{ groupId: 0, hardState: { term: 1, votedFor: null, commitIndex: 0 } }]);
    const before = log.stats();
    const round = [];
    for (let groupId = 0; groupId < 64; groupId++) {
      round.push({
        groupId,
        entries: makeEntries(1, 2, 1),
        hardState: { term: 1, votedFor: "n1", commitIndex: 0 },
      });
    }
    await log.appendRound(round);
    const after = log.stats();
    assert.equal(after.syncCount - before.syncCount, 1);
    assert.equal(after.writeCount - before.writeCount, 1);
    assert.equal(after.groupCount, 64);
    await log.close();
    const reopened = await openNode(dir, { groupsMax: 128, segmentBytesMax: 256 * 1024 });
    for (let groupId = 0; groupId < 64; groupId++) {
      assert.equal(reopened.group(groupId).lastIndex(), 2);
    }
    await reopened.close();
  });
});

Deno.test("node log: concurrent appends of many groups share fdatasyncs", async () => {
  await withTempDir(async (dir) => {
    const log = await openNode(dir, { groupsMax: 64, segmentBytesMax: 256 * 1024 });
    const writers = [];
    for (let groupId = 0; groupId < 32; groupId++) {
      writers.push((async () => {
        for (let index = 1; index <= 10; index++) {
          await log.group(groupId).append({ entries: makeEntries(index, 1, 1) });
        }
      })());
    }
    await Promise.all(writers);
    const stats = log.stats();
    assert.ok(stats.syncCount <= 20, `${stats.syncCount} syncs for 320 appends`);
    await log.close();
  });
});

Deno.test("node log: rounds are checked whole; limits refuse without changing anything", async () => {
  await withTempDir(async (dir) => {
    const log = await openNode(dir, { groupsMax: 2 });
    await assert.rejects(
      log.appendRound([
        { groupId: 1, entries: makeEntries(1, 1, 1) },
        { groupId: 1, entries: makeEntries(2, 1, 1) },
      ]),
      InvalidLogRequestError,
    );
    await assert.rejects(
      log.appendRound([
        { groupId: 1, entries: makeEntries(1, 1, 1) },
        { groupId: 2, entries: makeEntries(5, 1, 1) }, // gap
      ]),
      InvalidLogRequestError,
    );
    assert.equal(log.group(1).lastIndex(), 0);
    log.group(2);
    assert.throws(() => log.group(3), StorageLimitError);
    await log.close();
  });
});

Deno.test("node log: a segment is deleted only once no group needs it", async () => {
  await withTempDir(async (dir) => {
    const log = await openNode(dir, SMALL);
    const a = log.group(1);
    const b = log.group(2);
    for (let index = 1; index <= 400; index += 4) {
      await log.appendRound([
        { groupId: 1, entries: makeEntries(index, 4, 1) },
        { groupId: 2, entries: makeEntries(index, 4, 1) },
      ]);
    }
    const segments = log.stats().segmentCount;
    assert.ok(segments >= 4, `${segments} segments`);
    await a.saveSnapshot({ index: 400, term: 1, config: CONFIG }, new Uint8Array([1]));
    assert.equal(log.stats().segmentCount, segments, "group 2 still needs every segment");
    await b.saveSnapshot({ index: 380, term: 1, config: CONFIG }, new Uint8Array([2]));
    const after = log.stats().segmentCount;
    assert.ok(after < segments, `${after} of ${segments} segments left`);
    await log.close();

    const reopened = await openNode(dir, SMALL);
    const a2 = reopened.group(1);
    const b2 = reopened.group(2);
    assert.equal(a2.firstIndex(), 401);
    assert.equal(a2.lastIndex(), 400);
    assert.equal(b2.firstIndex(), 381);
    assert.deepEqual(describe(await b2.entries(381, 401)), describe(makeEntries(381, 20, 1)));
    assert.deepEqual(await b2.loadSnapshot(), {
      index: 380,
      term: 1,
      config: CONFIG,
      data: new Uint8Array([2]),
    });
    await reopened.close();
  });
});

Deno.test("node log: a removed group leaves nothing behind after the next compaction", async () => {
  const fs = await simDisk();
  const options = { ...SMALL, fileSystem: fs };
  const log = await openNode("/data/n1", options);
  const gone = log.group(3);
  const kept = log.group(4);
  for (let index = 1; index <= 40; index += 4) {
    await log.appendRound([
      {
        groupId: 3,
        entries: makeEntries(index, 4, 1),
        hardState: { term: 1, votedFor: "n1", commitIndex: 0 },
      },
      { groupId: 4, entries: makeEntries(index, 4, 1) },
    ]);
  }
  await gone.saveSnapshot({ index: 20, term: 1, config: CONFIG }, new Uint8Array([3]));
  assert.deepEqual(await fs.list("/data/n1/snap"), ["0000000003"]);
  await log.removeGroup(3);
  await assert.rejects(gone.append({ entries: makeEntries(41, 1, 1) }), WalClosedError);
  assert.deepEqual(await fs.list("/data/n1/snap"), []);
  // Group 4 moves on: new segments (whose prologues no longer name group 3), then a snapshot.
  for (let index = 41; index <= 400; index += 4) {
    await kept.append({ entries: makeEntries(index, 4, 1) });
  }
  await kept.saveSnapshot({ index: 400, term: 1, config: CONFIG }, new Uint8Array([4]));
  for (const name of await fs.list("/data/n1/wal")) {
    assert.equal(
      recordsOfGroup(fs.fileBytes(`/data/n1/wal/${name}`)!, 3),
      0,
      `${name} still holds records of group 3`,
    );
  }
  await log.close();
  const reopened = await openNode("/data/n1", options);
  assert.deepEqual(reopened.groupIds(), [4]);
  await reopened.close();
});

/** Counts the group update records of `groupId` in a segment image (format 3). */
function recordsOfGroup(bytes: Uint8Array, groupId: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let offset = 0; offset + 16 <= bytes.length;) {
    const bodyBytes = view.getUint32(offset, true);
    if (bodyBytes === 0) break;
    if (bytes[offset + 16] === 3 && view.getUint32(offset + 17, true) === groupId) count += 1;
    offset += 16 + bodyBytes;
  }
  return count;
}

Deno.test("node log: a group removed and added again starts empty, also after reopen", async () => {
  await withTempDir(async (dir) => {
    const log = await openNode(dir);
    await log.group(5).append({
      entries: makeEntries(1, 3, 1),
      hardState: { term: 4, votedFor: "n2", commitIndex: 2 },
    });
    await log.group(5).saveSnapshot({ index: 2, term: 1, config: CONFIG }, new Uint8Array([9]));
    await log.removeGroup(5);
    const again = log.group(5);
    assert.equal(again.lastIndex(), 0);
    assert.equal(await again.loadSnapshot(), null);
    await again.append({
      entries: makeEntries(1, 1, 7),
      hardState: { term: 7, votedFor: null, commitIndex: 0 },
    });
    await log.close();
    const reopened = await openNode(dir);
    const group = reopened.group(5);
    assert.equal(group.lastIndex(), 1);
    assert.equal(group.term(1), 7);
    assert.equal(group.snapshotMeta(), null);
    assert.deepEqual(group.hardState(), { term: 7, votedFor: null, commitIndex: 0 });
    await reopened.close();
  });
});

Deno.test("node log: a data dir of the per-group layout is refused with a clear message", async () => {
  await withTempDir(async (dir) => {
    // The per-group layout is the node log's directory layout with format-2 segments.
    const created = await openNode(dir);
    await created.close();
    const names = [...Deno.readDirSync(`${dir}/wal`)].map((entry) => entry.name).sort();
    assert.equal(names.length, 1);
    const buffer = new BinaryWriter(1024, 1024);
    encodeSegmentHeader(buffer, Number(names[0]!.slice(0, 20)), SEGMENT_FORMAT_VERSION);
    await Deno.writeFile(`${dir}/wal/${names[0]}`, buffer.view());
    await assert.rejects(openNode(dir), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      assert.match(error.message, /per-group layout/);
      return true;
    });
  });
});

Deno.test("node log: a group's first snapshot survives a crash dropping unsynced entries", async () => {
  const fs = await simDisk();
  const log = await openNode("/data/n1", { fileSystem: fs });
  await log.group(2).append({ entries: makeEntries(1, 5, 1) });
  await log.group(2).saveSnapshot({ index: 3, term: 1, config: CONFIG }, new Uint8Array([2]));
  fs.crash(() => 1);
  const reopened = await openNode("/data/n1", { fileSystem: fs });
  assert.equal(reopened.group(2).snapshotMeta()?.index, 3);
  assert.deepEqual(describe(await reopened.group(2).entries(4, 6)), describe(makeEntries(4, 2, 1)));
  await reopened.close();
});

Deno.test("node log: snapshots of a removed group never come back for its id reused", async () => {
  const fs = await simDisk();
  const log = await openNode("/data/n1", { fileSystem: fs });
  await log.group(6).append({ entries: makeEntries(1, 30, 1) });
  await log.group(6).saveSnapshot({ index: 20, term: 1, config: CONFIG }, new Uint8Array([6]));
  await log.removeGroup(6);
  await log.group(6).append({ entries: makeEntries(1, 3, 2) });
  fs.crash(() => 1);
  const reopened = await openNode("/data/n1", { fileSystem: fs });
  const group = reopened.group(6);
  assert.equal(group.snapshotMeta(), null);
  assert.deepEqual(describe(await group.entries(1, 4)), describe(makeEntries(1, 3, 2)));
  await reopened.close();
});

Deno.test("node log: an orphan snapshot directory deleted at open stays deleted", async () => {
  const fs = await simDisk();
  const log = await openNode("/data/n1", { fileSystem: fs });
  await log.group(6).append({ entries: makeEntries(1, 30, 1) });
  await log.group(6).saveSnapshot({ index: 20, term: 1, config: CONFIG }, new Uint8Array([6]));
  fs.crashAfterOps(2); // the removal record is written and synced, its files are not deleted
  await assert.rejects(log.removeGroup(6));
  fs.crash(() => 1);
  assert.deepEqual(await fs.list("/data/n1/snap"), ["0000000006"]);
  const reopened = await openNode("/data/n1", { fileSystem: fs });
  assert.deepEqual(reopened.groupIds(), []);
  await reopened.group(6).append({ entries: makeEntries(1, 3, 2) });
  fs.crash(() => 1);
  const again = await openNode("/data/n1", { fileSystem: fs });
  assert.equal(again.group(6).snapshotMeta(), null);
  assert.deepEqual(describe(await again.group(6).entries(1, 4)), describe(makeEntries(1, 3, 2)));
  await again.close();
});
