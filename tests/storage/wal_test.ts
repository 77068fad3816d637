import assert from "node:assert/strict";
import { InvalidLogRequestError, WalClosedError } from "../../src/storage/mod.ts";
import { GROUP_CACHE_BYTES_MIN } from "../../src/storage/node_log.ts";
import { describe, entryData, makeEntries, openLog, withTempDir } from "./helpers.ts";

Deno.test("append, read and reopen round-trip entries and hard state", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    assert.equal(wal.wasCreated(), true);
    assert.equal(wal.firstIndex(), 1);
    assert.equal(wal.lastIndex(), 0);
    assert.equal(wal.term(0), 0);
    assert.deepEqual(wal.hardState(), { term: 0, votedFor: null, commitIndex: 0 });
    await wal.append({ hardState: { term: 1, votedFor: "n2", commitIndex: 0 } });
    await wal.append({ entries: makeEntries(1, 5, 1) });
    await wal.append({
      entries: makeEntries(6, 3, 2),
      hardState: { term: 2, votedFor: null, commitIndex: 4 },
    });
    assert.equal(wal.lastIndex(), 8);
    assert.deepEqual(
      describe(await wal.entries(1, 9)),
      describe([
        ...makeEntries(1, 5, 1),
        ...makeEntries(6, 3, 2),
      ]),
    );
    await wal.close();

    const reopened = await openLog(dir);
    assert.equal(reopened.wasCreated(), false);
    assert.equal(reopened.firstIndex(), 1);
    assert.equal(reopened.lastIndex(), 8);
    assert.equal(reopened.term(5), 1);
    assert.equal(reopened.term(6), 2);
    assert.equal(reopened.term(9), undefined);
    assert.deepEqual(reopened.hardState(), { term: 2, votedFor: null, commitIndex: 4 });
    assert.deepEqual(
      describe(await reopened.entries(3, 7)),
      describe([...makeEntries(3, 3, 1), ...makeEntries(6, 1, 2)]),
    );
    assert.equal(reopened.identity().nodeId, "n1");
    assert.match(reopened.identity().incarnationId, /^[0-9a-f]{32}$/);
    await reopened.close();
  });
});

Deno.test("appending at an existing index truncates the conflicting suffix", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 10, 1) });
    await wal.append({ entries: makeEntries(6, 2, 2) });
    assert.equal(wal.lastIndex(), 7);
    const expected = describe([...makeEntries(1, 5, 1), ...makeEntries(6, 2, 2)]);
    assert.deepEqual(describe(await wal.entries(1, 8)), expected);
    await wal.close();
    const reopened = await openLog(dir);
    assert.equal(reopened.lastIndex(), 7);
    assert.deepEqual(describe(await reopened.entries(1, 8)), expected);
    await reopened.close();
  });
});

Deno.test("segments roll at segmentBytesMax and reads span segments from disk", async () => {
  await withTempDir(async (dir) => {
    // A group always keeps GROUP_CACHE_BYTES_MIN cached: write more than that, so the oldest
    // entries are evicted and must be read back from their segments.
    const options = { segmentBytesMax: 16384, recordBytesMax: 8192, batchBytesMax: 8192 };
    const wal = await openLog(dir, { ...options, cacheBytesMax: 0 });
    for (let index = 1; index <= 4000; index += 100) {
      await wal.append({ entries: makeEntries(index, 100, 1) });
    }
    const stats = wal.stats();
    assert.ok(stats.segmentCount >= 3, `expected rolling, got ${stats.segmentCount} segments`);
    assert.equal(stats.segmentRollCount, stats.segmentCount - 1);
    assert.ok(stats.cacheBytes <= GROUP_CACHE_BYTES_MIN, `${stats.cacheBytes} bytes cached`);
    assert.equal(wal.cachedEntries(1, 2), null);
    for await (const entry of Deno.readDir(`${dir}/wal`)) {
      assert.ok((await Deno.stat(`${dir}/wal/${entry.name}`)).size <= 16384);
    }
    const all = await wal.entries(1, 4001, Infinity);
    assert.deepEqual(describe(all), describe(makeEntries(1, 4000, 1)));
    assert.ok(wal.stats().diskReadCount >= 1);
    await wal.close();
    const reopened = await openLog(dir, options);
    assert.deepEqual(describe(await reopened.entries(1, 4001, Infinity)), describe(all));
    // Recovery rebuilds the index only: every entry of a reopened log is read from disk.
    assert.equal(reopened.cachedEntries(4000, 4001), null);
    assert.ok(reopened.stats().diskReadCount >= stats.segmentCount);
    await reopened.close();
  });
});

Deno.test("group commit: 100 concurrent appends share far fewer syncs", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 1, 1) });
    const before = wal.stats();
    const appends: Promise<void>[] = [];
    for (let index = 2; index <= 101; index++) {
      appends.push(wal.append({ entries: makeEntries(index, 1, 1) }));
    }
    await Promise.all(appends);
    const after = wal.stats();
    assert.equal(after.appendCount - before.appendCount, 100);
    const syncs = after.syncCount - before.syncCount;
    assert.ok(syncs >= 1 && syncs <= 5, `100 appends took ${syncs} syncs`);
    assert.equal(after.batchCount - before.batchCount, syncs);
    assert.equal(wal.lastIndex(), 101);
    await wal.close();
    const reopened = await openLog(dir);
    assert.equal(reopened.lastIndex(), 101);
    await reopened.close();
  });
});

Deno.test("a sync waits for the previous one: appends during a flush form one batch", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    const first = wal.append({ entries: makeEntries(1, 1, 1) });
    await Promise.resolve(); // let the first flush start
    await Promise.resolve();
    const rest: Promise<void>[] = [];
    for (let index = 2; index <= 50; index++) {
      rest.push(wal.append({ entries: makeEntries(index, 1, 1) }));
    }
    await Promise.all([first, ...rest]);
    assert.ok(wal.stats().syncCount <= 3, `got ${wal.stats().syncCount} syncs`);
    await wal.close();
  });
});

Deno.test("entries() honours bytesMax but returns at least one entry", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 10, 1) });
    assert.equal((await wal.entries(1, 11, 1)).length, 1);
    const size = entryData(1, 1).length + 12 + entryData(2, 1).length + 12;
    assert.equal((await wal.entries(1, 11, size)).length, 2);
    assert.deepEqual(await wal.entries(4, 4), []);
    assert.deepEqual(describe(wal.cachedEntries(2, 4) ?? []), describe(makeEntries(2, 2, 1)));
    await assert.rejects(wal.entries(5, 12), InvalidLogRequestError);
    await wal.close();
  });
});

Deno.test("reads of evicted entries go to disk; cachedEntries returns null for them", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir, { cacheBytesMax: 200 });
    for (let index = 1; index <= 4000; index += 100) {
      await wal.append({ entries: makeEntries(index, 100, 1) });
    }
    // The cache is bounded by the group's floor share, not by the (smaller) node budget.
    assert.ok(wal.stats().cacheBytes <= GROUP_CACHE_BYTES_MIN);
    assert.equal(wal.cachedEntries(1, 3), null);
    assert.notEqual(wal.cachedEntries(4000, 4001), null);
    const reads = wal.stats().diskReadCount;
    assert.deepEqual(
      describe(await wal.entries(1, 4001, Infinity)),
      describe(makeEntries(1, 4000, 1)),
    );
    assert.ok(wal.stats().diskReadCount > reads);
    await wal.close();
  });
});

Deno.test("an empty append is a barrier and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    const pending = wal.append({ entries: makeEntries(1, 3, 1) });
    await wal.append({});
    assert.equal(wal.stats().pendingAppends, 0);
    await pending;
    const syncs = wal.stats().syncCount;
    await wal.append({ entries: [] });
    assert.equal(wal.stats().syncCount, syncs);
    await wal.close();
  });
});

Deno.test("append rejects index gaps, compacted indexes and term regressions", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 3, 2) });
    await assert.rejects(wal.append({ entries: makeEntries(5, 1, 2) }), /gap after 3/);
    await assert.rejects(wal.append({ entries: makeEntries(0, 1, 2) }), InvalidLogRequestError);
    await assert.rejects(wal.append({ entries: makeEntries(4, 1, 1) }), /below previous term/);
    const broken = [...makeEntries(4, 1, 2), ...makeEntries(6, 1, 2)];
    await assert.rejects(wal.append({ entries: broken }), /position 1/);
    await assert.rejects(
      wal.append({ entries: [{ index: 4, term: 1.5, data: new Uint8Array() }] }),
      /term 1.5/,
    );
    assert.equal(wal.lastIndex(), 3);
    assert.equal(wal.stats().appendCount, 1);
    await wal.close();
  });
});

Deno.test("hard state: term never decreases and a vote never changes within a term", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ hardState: { term: 3, votedFor: "n2", commitIndex: 0 } });
    await assert.rejects(
      wal.append({ hardState: { term: 2, votedFor: null, commitIndex: 0 } }),
      /decrease from 3 to 2/,
    );
    await assert.rejects(
      wal.append({ hardState: { term: 3, votedFor: "n3", commitIndex: 0 } }),
      /already voted for n2 in term 3/,
    );
    await assert.rejects(
      wal.append({ hardState: { term: 3, votedFor: null, commitIndex: 0 } }),
      /already voted/,
    );
    await wal.append({ hardState: { term: 3, votedFor: "n2", commitIndex: 7 } });
    await wal.append({ hardState: { term: 4, votedFor: "n3", commitIndex: 7 } });
    await assert.rejects(
      wal.append({ hardState: { term: 5, votedFor: "x".repeat(256), commitIndex: 7 } }),
      /votedFor of 256 bytes/,
    );
    await wal.close();
    const reopened = await openLog(dir);
    assert.deepEqual(reopened.hardState(), { term: 4, votedFor: "n3", commitIndex: 7 });
    await reopened.close();
  });
});

Deno.test("close waits for pending appends, then refuses further calls", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    const pending = wal.append({ entries: makeEntries(1, 20, 1) });
    await wal.close();
    await pending;
    await assert.rejects(wal.append({ entries: makeEntries(21, 1, 1) }), WalClosedError);
    await assert.rejects(wal.entries(1, 2), WalClosedError);
    await wal.close();
    const reopened = await openLog(dir);
    assert.equal(reopened.lastIndex(), 20);
    await reopened.close();
  });
});
