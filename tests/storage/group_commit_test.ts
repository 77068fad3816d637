import assert from "node:assert/strict";
import { StorageLimitError, WalFailedError } from "../../src/storage/errors.ts";
import { GroupCommit } from "../../src/storage/group_commit.ts";

/** A flush function whose batches are recorded and completed by the test. */
class ManualFlush {
  readonly batches: number[][] = [];
  readonly #pending: { resolve: () => void; reject: (error: Error) => void }[] = [];

  flush = (items: readonly number[]): Promise<void> => {
    this.batches.push([...items]);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pending.push({ resolve, reject });
    return promise;
  };

  complete(): void {
    this.#pending.shift()!.resolve();
  }

  fail(error: Error): void {
    this.#pending.shift()!.reject(error);
  }
}

const LIMITS = { pendingAppendsMax: 100, pendingBytesMax: 1000, batchBytesMax: 100 };

/** Lets queued microtasks (flush start, resolutions) run. */
async function settle(): Promise<void> {
  for (let k = 0; k < 10; k++) await Promise.resolve();
}

Deno.test("requests submitted during a flush share the next flush", async () => {
  const manual = new ManualFlush();
  const commit = new GroupCommit<number>(manual.flush, LIMITS);
  const done: number[] = [];
  const track = (item: number) => commit.submit(item, 1).then(() => done.push(item));
  const all = [track(1), track(2)];
  await settle();
  assert.deepEqual(manual.batches, [[1, 2]]);
  for (let item = 3; item <= 9; item++) all.push(track(item));
  await settle();
  assert.deepEqual(manual.batches, [[1, 2]], "the next flush waits for the running one");
  assert.equal(commit.pendingCount, 9);
  manual.complete();
  await settle();
  assert.deepEqual(done, [1, 2]);
  assert.deepEqual(manual.batches, [[1, 2], [3, 4, 5, 6, 7, 8, 9]]);
  manual.complete();
  await Promise.all(all);
  assert.equal(commit.flushCount, 2);
  assert.equal(commit.pendingCount, 0);
  await commit.whenIdle();
});

Deno.test("batches are cut at batchBytesMax, keeping submission order", async () => {
  const manual = new ManualFlush();
  const commit = new GroupCommit<number>(manual.flush, LIMITS);
  const all = [1, 2, 3, 4, 5].map((item) => commit.submit(item, 40));
  await settle();
  manual.complete();
  await settle();
  manual.complete();
  await settle();
  manual.complete();
  await Promise.all(all);
  assert.deepEqual(manual.batches, [[1, 2], [3, 4], [5]]);
});

Deno.test("refusal names the exceeded limit", () => {
  const commit = new GroupCommit<number>(new ManualFlush().flush, {
    pendingAppendsMax: 2,
    pendingBytesMax: 150,
    batchBytesMax: 100,
  });
  assert.match(String(commit.refusal(101)), /request of 101 bytes exceeds batch maximum of 100/);
  void commit.submit(1, 100);
  assert.match(String(commit.refusal(60)), /100 bytes pending plus 60 exceeds maximum of 150/);
  void commit.submit(2, 10);
  const refusal = commit.refusal(1);
  assert.ok(refusal instanceof StorageLimitError);
  assert.match(refusal.message, /2 appends pending, maximum is 2/);
});

Deno.test("a failed flush rejects its batch and everything queued, then refuses all", async () => {
  const manual = new ManualFlush();
  const commit = new GroupCommit<number>(manual.flush, LIMITS);
  const first = commit.submit(1, 1);
  await settle();
  const queued = commit.submit(2, 1);
  manual.fail(new Error("EIO: fdatasync failed"));
  await assert.rejects(first, WalFailedError);
  await assert.rejects(queued, /Cannot write log: EIO: fdatasync failed; the log is stopped/);
  assert.ok(commit.refusal(1) instanceof WalFailedError);
  assert.equal(commit.pendingCount, 0);
  await commit.whenIdle();
});
