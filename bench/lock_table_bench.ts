/**
 * Lock table (src/locks) costs, all in memory and single-threaded, as every node pays them when
 * applying committed lock ops:
 *
 * - acquire + release cycles over 1,000 names (each iteration: 1,000 cycles, so cycles/s =
 *   1,000 / time per iteration), with and without the op codec round trip;
 * - the deadlock search on long wait chains: owner i holds lock i and waits for lock i + 1, then
 *   the last owner asks for lock 0 (a cycle through the whole chain: `deadlock`, nothing
 *   changes, so the iteration repeats); or an idle owner waits for lock 0 (no cycle, but the
 *   whole chain is searched; the wait is then cancelled);
 * - an exclusive wait behind 1,000 shared holders (wait + cancel);
 * - snapshot encode and restore of a table of 100,000 held locks (a restart pays restore once).
 *
 * Run: `deno bench bench/lock_table_bench.ts`.
 */
import { decodeLockOp, encodeLockOp, type LockOp, LockTable } from "../src/locks/mod.ts";

/** Names used by the acquire/release cycles. */
const NAME_COUNT = 1_000;
/** Chain lengths of the deadlock benches (the default search budget is 10,000 steps). */
const CHAIN_LENGTHS = [10, 100, 1_000, 4_000] as const;
/** Shared holders of the wide-lock bench. */
const SHARED_HOLDER_COUNT = 1_000;

const NAMES = Array.from({ length: NAME_COUNT }, (_, index) => `lock:${index}`);

/** A table plus a log index that only grows. */
class Bench {
  readonly table = new LockTable();
  index = 0;

  apply(op: LockOp) {
    return this.table.apply(++this.index, op);
  }

  acquire(name: string, owner: string, mode: "shared" | "exclusive" = "exclusive") {
    const op = { op: "acquire", name, owner, mode, ttlMs: 30_000, wait: true, waiterId: 1 };
    return this.apply(op as LockOp).outcome;
  }
}

const cycles = new Bench();
Deno.bench(`acquire + release, ${NAME_COUNT} names`, { group: "cycle", baseline: true }, () => {
  for (const name of NAMES) {
    cycles.acquire(name, "owner");
    cycles.apply({ op: "release", name, owner: "owner", token: null });
  }
});

const coded = new Bench();
Deno.bench(`acquire + release with op codec, ${NAME_COUNT} names`, { group: "cycle" }, () => {
  for (const name of NAMES) {
    const acquire: LockOp = {
      op: "acquire",
      name,
      owner: "owner",
      mode: "exclusive",
      ttlMs: 30_000,
      wait: false,
      waiterId: 0,
    };
    coded.apply(decodeLockOp(encodeLockOp(acquire)));
    const release: LockOp = { op: "release", name, owner: "owner", token: null };
    coded.apply(decodeLockOp(encodeLockOp(release)));
  }
});

/** A chain: owner i holds lock i and waits for lock i + 1 (the last owner waits for nothing). */
function chain(length: number): Bench {
  const bench = new Bench();
  for (let i = 0; i < length; i++) bench.acquire(`c${i}`, `o${i}`);
  for (let i = 0; i + 1 < length; i++) bench.acquire(`c${i + 1}`, `o${i}`);
  return bench;
}

for (const length of CHAIN_LENGTHS) {
  const closing = chain(length);
  const last = `o${length - 1}`;
  Deno.bench(`deadlock found through a chain of ${length}`, { group: "deadlock" }, () => {
    const outcome = closing.acquire("c0", last);
    if (typeof outcome !== "object" || outcome.kind !== "deadlock") throw new Error("no cycle");
  });
  const open = chain(length);
  Deno.bench(`no cycle: wait + cancel at the head of a chain of ${length}`, {
    group: "deadlock",
  }, () => {
    // idle -> o0 -> o1 -> ... -> the last owner, who waits for nothing: the whole chain.
    const outcome = open.acquire("c0", "idle");
    if (typeof outcome !== "object" || outcome.kind !== "queued") throw new Error("not queued");
    open.apply({ op: "cancelWait", name: "c0", owner: "idle", waiterId: 1 });
  });
}

const wide = new Bench();
for (let i = 0; i < SHARED_HOLDER_COUNT; i++) wide.acquire("wide", `reader${i}`, "shared");
Deno.bench(`exclusive wait + cancel behind ${SHARED_HOLDER_COUNT} shared holders`, () => {
  const outcome = wide.acquire("wide", "writer");
  if (typeof outcome !== "object" || outcome.kind !== "queued") throw new Error("not queued");
  wide.apply({ op: "cancelWait", name: "wide", owner: "writer", waiterId: 1 });
});

/** Held locks of the snapshot benches (a node restarting with them pays restore once). */
const HELD_LOCK_COUNT = 100_000;
const held = new Bench();
for (let i = 0; i < HELD_LOCK_COUNT; i++) held.acquire(`held:${i}`, `owner${i % 1_000}`);
const heldImage = held.table.snapshot();
Deno.bench(`snapshot encode, ${HELD_LOCK_COUNT} held locks`, { group: "snapshot" }, () => {
  held.table.snapshot();
});
Deno.bench(`snapshot restore, ${HELD_LOCK_COUNT} held locks`, { group: "snapshot" }, () => {
  if (LockTable.restore(heldImage).stats().locks !== HELD_LOCK_COUNT) throw new Error("lost locks");
});
