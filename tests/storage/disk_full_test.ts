/**
 * A full disk (ENOSPC) on the simulated disk: the node log never acknowledges what is not
 * durable, reports itself full, resumes by itself once space is freed, treats a failed fsync
 * by writing the batch again, and recovers cleanly after a crash while full.
 */
import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/mod.ts";
import { WalFailedError } from "../../src/storage/mod.ts";
import { entryData, makeEntries, openSim, SIM_DATA_DIR, simDisk } from "./helpers.ts";
import type { SimFileSystem } from "./sim_file_system.ts";

const PROBE_MS = 20;
const BIG_BYTES = 12 * 1024;

/** Resolves to "settled" when `promise` settles within `ms`, else "pending". */
async function stateAfter(promise: Promise<unknown>, ms: number): Promise<"settled" | "pending"> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled ? "settled" : "pending";
}

/** One entry of `bytes` bytes at `index`, term 1. */
function bigEntry(index: number, bytes = BIG_BYTES) {
  return { index, term: 1, data: new Uint8Array(bytes).fill(index % 251) };
}

/** Leaves the disk with less than one page free. */
function fillDisk(fs: SimFileSystem): void {
  fs.setCapacity(fs.usedBytes() + 1024);
}

Deno.test("a write on a full disk is not acknowledged until space is freed, then resumes", async () => {
  const fs = await simDisk();
  const log = await openSim(fs, { diskProbeIntervalMs: PROBE_MS });
  await log.append({ entries: makeEntries(1, 5, 1) });
  fillDisk(fs);
  const written = log.append({ entries: [bigEntry(6)] });
  assert.deepEqual(await stateAfter(written, PROBE_MS * 5), "pending");
  assert.ok(log.node.diskFull, "the log says the disk is full");
  const state = log.node.diskState();
  assert.ok(state.noSpaceErrorCount >= 2, `retried while full: ${state.noSpaceErrorCount}`);
  assert.deepEqual(log.stats().syncCount, 1, "no sync acknowledged the failed batch");
  fs.setCapacity(Infinity);
  await written;
  assert.deepEqual(log.node.diskFull, false);
  assert.deepEqual(log.stats().noSpaceRetryCount >= 1, true);
  // Acknowledged means durable: a crash keeping no unsynced page loses nothing of it.
  await log.close();
  fs.crash(new SeededRandom(1).fn(), 0);
  const reopened = await openSim(fs);
  assert.deepEqual(reopened.lastIndex(), 6);
  assert.deepEqual((await reopened.entries(6, 7))[0]!.data, bigEntry(6).data);
  assert.deepEqual(reopened.stats().tornTailCount, 0);
  await reopened.close();
});

Deno.test("a crash while the disk is full recovers a clean log of the acknowledged entries", async () => {
  for (const keep of [0, 0.5, 1]) {
    const fs = await simDisk();
    const log = await openSim(fs, { diskProbeIntervalMs: PROBE_MS });
    await log.append({ entries: makeEntries(1, 3, 1) });
    fillDisk(fs);
    const written = log.append({ entries: [bigEntry(4)] });
    written.catch(() => {});
    assert.deepEqual(await stateAfter(written, PROBE_MS * 3), "pending");
    fs.crash(new SeededRandom(7).fn(), keep);
    fs.setCapacity(Infinity);
    const reopened = await openSim(fs);
    assert.deepEqual(reopened.lastIndex(), 3, `keep ${keep}`);
    assert.deepEqual((await reopened.entries(3, 4))[0]!.data, entryData(3, 1));
    // The failed batch was cut back before the crash: nothing torn remains to be cut.
    assert.deepEqual(reopened.stats().tornTailCount, 0, `keep ${keep}`);
    await reopened.append({ entries: makeEntries(4, 2, 1) });
    assert.deepEqual(reopened.lastIndex(), 5);
    await reopened.close();
  }
});

Deno.test("with a reserve, the write that finds the disk full completes and the log says full", async () => {
  const fs = await simDisk();
  const reserveBytes = 64 * 1024;
  const log = await openSim(fs, { diskReserveBytes: reserveBytes, diskProbeIntervalMs: PROBE_MS });
  assert.deepEqual(log.node.diskState().reserveBytes, reserveBytes);
  assert.deepEqual(fs.fileBytes(`${SIM_DATA_DIR}/RESERVE`)?.length, reserveBytes);
  await log.append({ entries: makeEntries(1, 2, 1) });
  fillDisk(fs);
  await log.append({ entries: [bigEntry(3)] }); // at once, from the reserve's room
  assert.ok(log.node.diskFull);
  assert.deepEqual(log.node.diskState().reserveBytes, 0);
  assert.deepEqual(fs.fileBytes(`${SIM_DATA_DIR}/RESERVE`), null);
  await log.append({ entries: makeEntries(4, 1, 1) }); // small writes still fit
  // The probe cannot take the reserve back while the room is short.
  await new Promise((resolve) => setTimeout(resolve, PROBE_MS * 4));
  assert.ok(log.node.diskFull, "still full");
  assert.ok(log.node.diskState().noSpaceErrorCount >= 2, "the probe ran and found no room");
  fs.setCapacity(Infinity);
  const deadline = performance.now() + 2000;
  while (log.node.diskFull && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, PROBE_MS));
  }
  assert.deepEqual(log.node.diskFull, false, "the probe found room");
  assert.deepEqual(log.node.diskState().reserveBytes, reserveBytes);
  assert.deepEqual(log.node.diskState().fullCount, 1);
  await log.close();
});

Deno.test("a node log opened on a full disk starts full and leaves it once space is freed", async () => {
  const fs = await simDisk();
  const first = await openSim(fs);
  await first.append({ entries: makeEntries(1, 2, 1) });
  await first.close();
  fs.setCapacity(fs.usedBytes() + 4096);
  const log = await openSim(fs, { diskReserveBytes: 64 * 1024, diskProbeIntervalMs: PROBE_MS });
  assert.ok(log.node.diskFull, "no room for the reserve: full from the start");
  assert.deepEqual(log.lastIndex(), 2);
  fs.setCapacity(Infinity);
  const deadline = performance.now() + 2000;
  while (log.node.diskFull && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, PROBE_MS));
  }
  assert.deepEqual(log.node.diskFull, false);
  await log.close();
});

Deno.test("an fsync failing with ENOSPC is answered by writing the batch again", async () => {
  const fs = await simDisk();
  const log = await openSim(fs, { diskProbeIntervalMs: PROBE_MS });
  await log.append({ entries: makeEntries(1, 2, 1) });
  fs.failSyncs(1, "ENOSPC");
  await log.append({ entries: makeEntries(3, 2, 1) });
  assert.deepEqual(log.stats().cutBackCount, 1);
  await log.close();
  // The failed fsync dropped the dirty pages: only the rewrite made them durable.
  fs.crash(new SeededRandom(3).fn(), 0);
  const reopened = await openSim(fs);
  assert.deepEqual(reopened.lastIndex(), 4);
  assert.deepEqual((await reopened.entries(3, 5)).map((entry) => entry.data), [
    entryData(3, 1),
    entryData(4, 1),
  ]);
  await reopened.close();
});

Deno.test("an fsync failing with EIO still stops the log", async () => {
  const fs = await simDisk();
  const log = await openSim(fs, { diskProbeIntervalMs: PROBE_MS });
  fs.failSyncs(1, "EIO");
  await assert.rejects(log.append({ entries: makeEntries(1, 1, 1) }), WalFailedError);
  await assert.rejects(log.append({ entries: makeEntries(1, 1, 1) }), WalFailedError);
  assert.deepEqual(log.node.diskFull, false);
  await log.close();
});

Deno.test("closing the log while a write waits for space fails that write, unacknowledged", async () => {
  const fs = await simDisk();
  const log = await openSim(fs, { diskProbeIntervalMs: PROBE_MS });
  await log.append({ entries: makeEntries(1, 1, 1) });
  fillDisk(fs);
  const written = log.append({ entries: [bigEntry(2)] });
  assert.deepEqual(await stateAfter(written, PROBE_MS * 2), "pending");
  await log.close();
  await assert.rejects(written, WalFailedError);
  fs.setCapacity(Infinity);
  const reopened = await openSim(fs);
  assert.deepEqual(reopened.lastIndex(), 1);
  await reopened.close();
});
