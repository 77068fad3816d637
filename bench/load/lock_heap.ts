/**
 * Where the bytes of a held lock go, in one process without a node: the V8 heap (after a full
 * GC) grown by N exclusive grants in the lock table alone, then by the lease tracker following
 * them, and by a table restored from a snapshot (owners shared); and the CPU time of snapshot
 * encode, restore and a new leader's tracker reset. Usage:
 *   deno run --v8-flags=--expose-gc bench/load/lock_heap.ts [N=200000]
 */
import { type LockOp, LockTable } from "../../src/locks/mod.ts";
import { LeaseTracker } from "../../src/lock_service/lease_tracker.ts";

const OWNER_COUNT = 10_000;
const TTL_MS = 3_600_000;

function collectedHeapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  gc();
  return Deno.memoryUsage().heapUsed;
}

/** Lock i, held exclusively by one of OWNER_COUNT owners; fresh strings, as decoded from a log. */
function acquireOp(i: number): LockOp {
  const owner = `owner-${i % OWNER_COUNT}`;
  return {
    op: "acquire",
    name: `lock-${i}`,
    owner,
    mode: "exclusive",
    ttlMs: TTL_MS,
    wait: false,
    waiterId: i,
  };
}

function timed<T>(what: string, run: () => T): T {
  const t0 = performance.now();
  const value = run();
  console.log(`${what}: ${(performance.now() - t0).toFixed(0)} ms`);
  return value;
}

function main(): void {
  const lockCount = Number(Deno.args[0] ?? 200_000);
  if (!Number.isSafeInteger(lockCount) || lockCount < 1 || lockCount > 1_000_000) {
    throw new RangeError(`N must be in 1..1000000 (the table's locksMax), not ${Deno.args[0]}`);
  }
  const heap0 = collectedHeapBytes();
  const table = new LockTable();
  timed(`apply ${lockCount} acquires`, () => {
    for (let i = 0; i < lockCount; i++) table.apply(i + 1, acquireOp(i));
  });
  const heap1 = collectedHeapBytes();
  const followed = new LockTable();
  const tracker = new LeaseTracker();
  timed("again, with the lease tracker following", () => {
    for (let i = 0; i < lockCount; i++) {
      const op = acquireOp(i);
      tracker.applied(op, 0, followed.apply(i + 1, op), followed, 0);
    }
  });
  const heap2 = collectedHeapBytes();
  const tableBytes = heap1 - heap0;
  console.log(`lock table: ${(tableBytes / lockCount).toFixed(0)} B/lock (heap)`);
  console.log(
    `lease tracker: ${((heap2 - heap1 - tableBytes) / lockCount).toFixed(0)} B/lock (heap)`,
  );
  const image = timed("snapshot encode", () => table.snapshot());
  console.log(`snapshot: ${image.length} B, ${(image.length / lockCount).toFixed(1)} B/lock`);
  const heap3 = collectedHeapBytes();
  const restored = timed("snapshot restore", () => LockTable.restore(image));
  const restoredBytes = collectedHeapBytes() - heap3;
  console.log(`restored lock table: ${(restoredBytes / lockCount).toFixed(0)} B/lock (heap)`);
  const fresh = new LeaseTracker(Number.MAX_SAFE_INTEGER);
  timed("new leader's tracker reset (whole walk)", () => fresh.reset(restored, 0, 1_000));
}

if (import.meta.main) main();
