/**
 * Every sync of the log and snapshot path is needed: each test here acknowledges something,
 * crashes the simulated disk (losing what was not synced) and checks it survived. Deleting
 * any one sync call in src/storage/ makes at least one of these tests fail (docs/storage.md
 * lists which test catches which sync).
 */
import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/random.ts";
import { describe, makeEntries, openSim, SIM_DATA_DIR, simDisk, snapshotDir } from "./helpers.ts";

const DATA_DIR = SIM_DATA_DIR;
const CONFIG = new TextEncoder().encode("voters=n1");
const SMALL_SEGMENTS = { segmentBytesMax: 2048, recordBytesMax: 1024, batchBytesMax: 1024 };
/** Crash keeping nothing that was not synced. */
const DROP_ALL = () => 1;

Deno.test("an acknowledged append survives a crash that drops every unsynced page", async () => {
  const fs = await simDisk();
  const wal = await openSim(fs);
  await wal.append({
    entries: makeEntries(1, 3, 1),
    hardState: { term: 1, votedFor: "n1", commitIndex: 0 },
  });
  fs.crash(DROP_ALL);
  const reopened = await openSim(fs);
  assert.equal(reopened.lastIndex(), 3);
  assert.deepEqual(describe(await reopened.entries(1, 4)), describe(makeEntries(1, 3, 1)));
  assert.deepEqual(reopened.hardState(), { term: 1, votedFor: "n1", commitIndex: 0 });
  await reopened.close();
});

Deno.test("acknowledged appends in a new segment survive losing unsynced directory entries", async () => {
  const fs = await simDisk();
  const wal = await openSim(fs, SMALL_SEGMENTS);
  for (let index = 1; index <= 200; index += 4) {
    await wal.append({ entries: makeEntries(index, 4, 1) });
  }
  assert.ok(wal.stats().segmentCount >= 3, `only ${wal.stats().segmentCount} segments`);
  fs.crash(DROP_ALL);
  const reopened = await openSim(fs, SMALL_SEGMENTS);
  assert.equal(reopened.lastIndex(), 200);
  assert.deepEqual(describe(await reopened.entries(1, 201)), describe(makeEntries(1, 200, 1)));
  await reopened.close();
});

Deno.test("an acknowledged snapshot survives a crash, with the segments it replaced gone", async () => {
  const fs = await simDisk();
  const wal = await openSim(fs, SMALL_SEGMENTS);
  for (let index = 1; index <= 200; index += 4) {
    await wal.append({ entries: makeEntries(index, 4, 1) });
  }
  const image = new Uint8Array(9000).map((_, i) => i % 253);
  const segmentsBefore = await fs.list(`${DATA_DIR}/wal`);
  await wal.saveSnapshot({ index: 190, term: 1, config: CONFIG }, image);
  const segmentsAfter = await fs.list(`${DATA_DIR}/wal`);
  assert.ok(segmentsAfter.length < segmentsBefore.length);
  fs.crash(DROP_ALL);
  const reopened = await openSim(fs, SMALL_SEGMENTS);
  assert.deepEqual(await reopened.loadSnapshot(), {
    index: 190,
    term: 1,
    config: CONFIG,
    data: image,
  });
  assert.equal(reopened.firstIndex(), 191);
  assert.equal(reopened.lastIndex(), 200);
  assert.deepEqual(await fs.list(`${DATA_DIR}/wal`), segmentsAfter);
  await reopened.close();
});

Deno.test("older snapshot files removed by a newer snapshot stay removed after a crash", async () => {
  const fs = await simDisk();
  const wal = await openSim(fs);
  await wal.append({ entries: makeEntries(1, 10, 1) });
  await wal.saveSnapshot({ index: 4, term: 1, config: CONFIG }, new Uint8Array([1]));
  await wal.saveSnapshot({ index: 8, term: 1, config: CONFIG }, new Uint8Array([2]));
  fs.crash(DROP_ALL);
  assert.deepEqual(await fs.list(snapshotDir(DATA_DIR)), ["00000000000000000008.snap"]);
});

Deno.test("a crash at any step of initialising a data dir never leaves one that is refused", async () => {
  for (let crashAt = 0; crashAt < 40; crashAt++) {
    for (let seed = 1; seed <= 8; seed++) {
      const fs = await simDisk();
      fs.crashAfterOps(crashAt);
      let incarnation: string | null = null;
      try {
        const wal = await openSim(fs);
        incarnation = wal.identity().incarnationId;
      } catch (error) {
        if (!fs.powerCut) throw error;
      }
      const random = new SeededRandom(seed * 1000 + crashAt);
      fs.crash(() => random.next());
      const reopened = await openSim(fs);
      if (incarnation !== null) {
        assert.equal(reopened.wasCreated(), false, `crash at op ${crashAt}, seed ${seed}`);
        assert.equal(reopened.identity().incarnationId, incarnation);
      }
      await reopened.close();
    }
  }
});
