import assert from "node:assert/strict";
import { CorruptLogError } from "../../src/storage/mod.ts";
import {
  CapturingLog,
  describe,
  makeEntries,
  openLog,
  rejection,
  segmentPath,
  withTempDir,
} from "./helpers.ts";

/** Builds a one-segment log of `recordCount` appends of 3 entries; returns record offsets. */
async function buildLog(dir: string, recordCount: number): Promise<number[]> {
  const wal = await openLog(dir);
  const offsets: number[] = [];
  for (let k = 0; k < recordCount; k++) {
    // The first append also writes the segment prologue: its record starts after it.
    offsets.push(k === 0 ? -1 : (await Deno.stat(segmentPath(dir, 1))).size);
    await wal.append({ entries: makeEntries(3 * k + 1, 3, 1) });
  }
  await wal.close();
  return offsets;
}

Deno.test("a torn last record is cut at every byte offset; earlier records survive", async () => {
  await withTempDir(async (dir) => {
    const offsets = await buildLog(dir, 3);
    const path = segmentPath(dir, 1);
    const original = await Deno.readFile(path);
    const lastStart = offsets[2]!;
    for (let cut = lastStart; cut < original.length; cut++) {
      for (const filler of ["none", "zeros", "garbage"] as const) {
        const damaged = new Uint8Array(filler === "none" ? cut : original.length);
        damaged.set(original.subarray(0, cut));
        if (filler === "garbage") damaged.fill(0xab, cut);
        await Deno.writeFile(path, damaged);
        const log = new CapturingLog();
        const wal = await openLog(dir, { log });
        assert.equal(wal.lastIndex(), 6, `cut at ${cut} (${filler})`);
        assert.deepEqual(describe(await wal.entries(1, 7)), describe(makeEntries(1, 6, 1)));
        const cutSomething = cut > lastStart || filler !== "none";
        assert.equal(wal.stats().tornTailCount, cutSomething ? 1 : 0);
        if (cutSomething) {
          assert.equal(log.lines.length, 1);
          assert.equal(log.lines[0]!.level, "warn");
          assert.equal(log.lines[0]!.fields?.offset, lastStart);
          assert.equal(log.lines[0]!.fields?.file, path);
        }
        await wal.close();
        assert.equal((await Deno.stat(path)).size, lastStart);
      }
    }
    // The log keeps working after a cut: append and reopen.
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(7, 2, 2) });
    await wal.close();
    const reopened = await openLog(dir);
    assert.equal(reopened.lastIndex(), 8);
    assert.equal(reopened.term(8), 2);
    await reopened.close();
  });
});

Deno.test("a torn segment prologue leaves an empty segment that is rewritten", async () => {
  await withTempDir(async (dir) => {
    await buildLog(dir, 1);
    const path = segmentPath(dir, 1);
    const original = await Deno.readFile(path);
    await Deno.writeFile(path, original.subarray(0, 10));
    const wal = await openLog(dir);
    assert.equal(wal.lastIndex(), 0);
    await wal.append({ entries: makeEntries(1, 1, 1) });
    await wal.close();
    const reopened = await openLog(dir);
    assert.equal(reopened.lastIndex(), 1);
    await reopened.close();
  });
});

Deno.test("a flipped byte in the middle of the log stops recovery with file and offset", async () => {
  await withTempDir(async (dir) => {
    const offsets = await buildLog(dir, 4);
    const path = segmentPath(dir, 1);
    const original = await Deno.readFile(path);
    const recordStart = offsets[2]!;
    for (const [delta, reason] of [[40, /body checksum/], [2, /header checksum/]] as const) {
      const damaged = original.slice();
      damaged[recordStart + delta]! ^= 0x01;
      await Deno.writeFile(path, damaged);
      const error = await rejection(openLog(dir), CorruptLogError);
      assert.equal(error.file, path);
      assert.equal(error.offset, recordStart);
      assert.match(error.message, reason);
      assert.match(error.message, new RegExp(`in ${path} at offset ${recordStart}`));
      assert.match(error.message, /followed by a valid record/);
    }
    // Nothing was cut: restoring the byte makes the log whole again.
    await Deno.writeFile(path, original);
    const wal = await openLog(dir);
    assert.equal(wal.lastIndex(), 12);
    await wal.close();
  });
});

Deno.test("a bad checksum in the final record with nothing valid after it is a torn tail", async () => {
  await withTempDir(async (dir) => {
    const offsets = await buildLog(dir, 3);
    const path = segmentPath(dir, 1);
    const damaged = await Deno.readFile(path);
    damaged[damaged.length - 3]! ^= 0x40;
    await Deno.writeFile(path, damaged);
    const wal = await openLog(dir);
    assert.equal(wal.lastIndex(), 6);
    assert.equal(wal.stats().tornTailCount, 1);
    await wal.close();
    assert.equal((await Deno.stat(path)).size, offsets[2]);
  });
});

/** Builds a log spread over at least three segments. */
async function buildSegments(dir: string): Promise<void> {
  const wal = await openLog(dir, {
    segmentBytesMax: 2048,
    recordBytesMax: 1024,
    batchBytesMax: 1024,
  });
  for (let index = 1; index <= 120; index += 4) {
    await wal.append({ entries: makeEntries(index, 4, 1) });
  }
  assert.ok(wal.stats().segmentCount >= 3);
  await wal.close();
}

Deno.test("damage at the end of a segment that is not the last is corruption", async () => {
  await withTempDir(async (dir) => {
    await buildSegments(dir);
    const path = segmentPath(dir, 1);
    const original = await Deno.readFile(path);
    await Deno.writeFile(path, original.subarray(0, original.length - 5));
    const error = await rejection(openLog(dir), CorruptLogError);
    assert.equal(error.file, path);
    assert.match(error.message, /not the last/);
  });
});

Deno.test("a missing middle segment is corruption", async () => {
  await withTempDir(async (dir) => {
    await buildSegments(dir);
    await Deno.remove(segmentPath(dir, 2));
    await assert.rejects(openLog(dir), /segment 00000000000000000002\.seg is missing/);
  });
});

Deno.test("a segment whose header names another sequence is corruption", async () => {
  await withTempDir(async (dir) => {
    await buildSegments(dir);
    const second = await Deno.readFile(segmentPath(dir, 2));
    await Deno.writeFile(segmentPath(dir, 3), second);
    await assert.rejects(openLog(dir), /segment header names segment 2/);
  });
});
