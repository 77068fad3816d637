import assert from "node:assert/strict";
import { StorageLimitError } from "../../src/storage/mod.ts";
import { makeEntries, openLog, rejection, withTempDir } from "./helpers.ts";

Deno.test("recordBytesMax: an append whose record is too large is refused", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, { recordBytesMax: 1024, batchBytesMax: 1024 });
    const data = new Uint8Array(1024);
    const error = await rejection(
      wal.append({ entries: [{ index: 1, term: 1, data }] }),
      StorageLimitError,
    );
    assert.match(error.message, /record of \d+ bytes exceeds maximum of 1024 bytes/);
    assert.equal(wal.lastIndex(), 0);
    await wal.append({ entries: [{ index: 1, term: 1, data: data.subarray(0, 900) }] });
    await wal.close();
  });
});

Deno.test("pendingAppendsMax: appends beyond the queue bound are refused", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, { pendingAppendsMax: 10 });
    const accepted: Promise<void>[] = [];
    for (let index = 1; index <= 10; index++) {
      accepted.push(wal.append({ entries: makeEntries(index, 1, 1) }));
    }
    const error = await rejection(
      wal.append({ entries: makeEntries(11, 1, 1) }),
      StorageLimitError,
    );
    assert.match(error.message, /10 appends pending, maximum is 10/);
    assert.equal(wal.lastIndex(), 10);
    await Promise.all(accepted);
    await wal.append({ entries: makeEntries(11, 1, 1) });
    await wal.close();
  });
});

Deno.test("pendingBytesMax: appends beyond the pending bytes bound are refused", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, {
      recordBytesMax: 1024,
      batchBytesMax: 1024,
      pendingBytesMax: 2048,
    });
    const entry = (index: number) => [{ index, term: 1, data: new Uint8Array(900) }];
    const first = wal.append({ entries: entry(1) });
    const second = wal.append({ entries: entry(2) });
    await assert.rejects(wal.append({ entries: entry(3) }), /bytes pending plus \d+ exceeds/);
    await Promise.all([first, second]);
    await wal.append({ entries: entry(3) });
    await wal.close();
  });
});

Deno.test("batchBytesMax: a burst larger than one batch is split into several writes", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, { recordBytesMax: 1024, batchBytesMax: 2048 });
    const appends: Promise<void>[] = [];
    for (let index = 1; index <= 10; index++) {
      appends.push(wal.append({ entries: [{ index, term: 1, data: new Uint8Array(900) }] }));
    }
    await Promise.all(appends);
    const stats = wal.stats();
    // Two ~940-byte records fit a 2048-byte batch: ten of them need five writes.
    assert.equal(stats.writeCount, 5);
    assert.equal(stats.syncCount, 5);
    await wal.close();
  });
});

Deno.test("logEntriesMax: the log refuses to grow beyond it until a snapshot", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, { logEntriesMax: 10 });
    await wal.append({ entries: makeEntries(1, 10, 1) });
    const error = await rejection(
      wal.append({ entries: makeEntries(11, 1, 1) }),
      StorageLimitError,
    );
    assert.match(error.message, /would hold 11 entries, maximum is 10/);
    await wal.append({ entries: makeEntries(10, 1, 2) }); // replacing keeps the count
    await wal.saveSnapshot({ index: 5, term: 1, config: new Uint8Array() }, new Uint8Array());
    await wal.append({ entries: makeEntries(11, 5, 2) });
    await wal.close();
    await assert.rejects(openLog(dir, { logEntriesMax: 5 }), /holds more than 5 entries/);
  });
});
