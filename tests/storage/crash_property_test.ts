/**
 * Property: on the simulated disk, random appends (concurrent bursts, so batches hold several
 * records over several pages), snapshots, power cuts at random operations and crashes that
 * keep random subsets of unsynced pages never lose an acknowledged entry, hard state or
 * snapshot, never bring back data other than what was appended at an index, and never make
 * recovery fail-stop. `CRASH_PROP_SEEDS` sets the number of seeds (default 250).
 */
import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/random.ts";
import type { LogRecordEntry, NodeLogOptions } from "../../src/storage/mod.ts";
import { openSingleGroup, type SingleGroupLog, testOptions } from "./helpers.ts";
import { SimFileSystem, SimulatedCrashError } from "./sim_file_system.ts";

const DATA_DIR = "/data/n1";
const STEPS_PER_SEED = 30;
const REOPEN_ATTEMPTS_MAX = 5;
const ENTRY_BYTES = [20, 300, 2500];
const OPTIONS: Partial<NodeLogOptions> = {
  segmentBytesMax: 16 * 1024,
  batchBytesMax: 8 * 1024,
  recordBytesMax: 8 * 1024,
  cacheBytesMax: 4096,
};
const CONFIG = new TextEncoder().encode("voters=n1");

/** What the test knows: every append made, and what was acknowledged. */
class Model {
  /** Data last appended at each index. */
  readonly written = new Map<number, Uint8Array>();
  /** Every entry up to here was acknowledged. */
  ackedLastIndex = 0;
  /** Term of the last acknowledged hard state. */
  ackedTerm = 0;
  /** Index of the last acknowledged snapshot. */
  ackedSnapshotIndex = 0;
  /** Term of the next hard state (never decreases). */
  term = 0;
  /** Distinguishes data appended at one index before and after a crash. */
  generation = 0;
}

class Run {
  readonly fs = new SimFileSystem();
  readonly model = new Model();
  readonly random: SeededRandom;
  readonly seed: number;
  wal: SingleGroupLog | null = null;
  /** Torn tails cut by the reopens of this run. */
  tornTailCount = 0;

  constructor(seed: number) {
    this.seed = seed;
    this.random = new SeededRandom(seed);
  }

  open(): Promise<SingleGroupLog> {
    return openSingleGroup(DATA_DIR, testOptions({ fileSystem: this.fs, ...OPTIONS }));
  }

  async start(): Promise<void> {
    await this.fs.mkdir("/data");
    await this.fs.syncDir("/");
    this.wal = await this.open();
  }

  async step(): Promise<void> {
    const roll = this.random.next();
    if (roll < 0.6) await this.burst();
    else if (roll < 0.7) await this.snapshot();
    else if (roll < 0.9) await this.crashAndReopen();
    if (this.fs.powerCut) await this.crashAndReopen();
  }

  async burst(): Promise<void> {
    const wal = this.wal!;
    if (this.random.chance(0.5)) this.fs.crashAfterOps(this.random.int(3));
    const appends: Promise<number>[] = [];
    const count = 1 + this.random.int(5);
    for (let k = 0; k < count; k++) {
      const entries = this.#entries(wal.lastIndex() + 1, 1 + this.random.int(2));
      const withHardState = this.random.chance(0.3);
      if (withHardState) this.model.term += this.random.int(2);
      const term = this.model.term;
      const append = wal.append({
        entries,
        ...(withHardState ? { hardState: { term, votedFor: "n1", commitIndex: 0 } } : {}),
      });
      appends.push(append.then(() => {
        this.model.ackedLastIndex = Math.max(this.model.ackedLastIndex, entries.at(-1)!.index);
        if (withHardState) this.model.ackedTerm = Math.max(this.model.ackedTerm, term);
        return 0;
      }));
    }
    for (const result of await Promise.allSettled(appends)) {
      if (result.status === "rejected" && !this.fs.powerCut) throw result.reason;
    }
  }

  async snapshot(): Promise<void> {
    const wal = this.wal!;
    const from = Math.max(wal.firstIndex(), (wal.snapshotMeta()?.index ?? 0) + 1);
    if (this.model.ackedLastIndex < from) return;
    const index = from + this.random.int(this.model.ackedLastIndex - from + 1);
    if (this.random.chance(0.3)) this.fs.crashAfterOps(this.random.int(6));
    try {
      await wal.saveSnapshot({ index, term: 1, config: CONFIG }, new Uint8Array([index & 255]));
      this.model.ackedSnapshotIndex = index;
    } catch (error) {
      if (!this.fs.powerCut) throw error;
    }
  }

  async crashAndReopen(): Promise<void> {
    for (let attempt = 1;; attempt++) {
      this.fs.crash(() => this.random.next(), this.random.next());
      this.model.generation += 1;
      if (attempt < REOPEN_ATTEMPTS_MAX && this.random.chance(0.3)) {
        this.fs.crashAfterOps(this.random.int(4));
      }
      try {
        this.wal = await this.open();
        this.fs.crashAfterOps(Infinity);
        this.tornTailCount += this.wal.stats().tornTailCount;
        await this.check();
        return;
      } catch (error) {
        if (!(error instanceof SimulatedCrashError) || !this.fs.powerCut) throw error;
      }
    }
  }

  async check(): Promise<void> {
    const wal = this.wal!;
    const model = this.model;
    const where = `seed ${this.seed}`;
    assert.ok(wal.lastIndex() >= model.ackedLastIndex, `${where}: acknowledged entries lost`);
    assert.ok(wal.hardState().term >= model.ackedTerm, `${where}: acknowledged term lost`);
    const snapshotIndex = wal.snapshotMeta()?.index ?? 0;
    assert.ok(snapshotIndex >= model.ackedSnapshotIndex, `${where}: snapshot lost`);
    for (let from = wal.firstIndex(); from <= wal.lastIndex();) {
      const entries = await wal.entries(from, wal.lastIndex() + 1);
      for (const entry of entries) {
        assert.deepEqual(entry.data, model.written.get(entry.index), `${where}: ${entry.index}`);
      }
      from = entries.at(-1)!.index + 1;
    }
  }

  #entries(from: number, count: number): LogRecordEntry[] {
    const entries: LogRecordEntry[] = [];
    for (let k = 0; k < count; k++) {
      const index = from + k;
      const size = ENTRY_BYTES[this.random.int(ENTRY_BYTES.length)]!;
      const data = new Uint8Array(size).fill((index * 7 + this.model.generation) & 255);
      this.model.written.set(index, data);
      entries.push({ index, term: 1, data });
    }
    return entries;
  }
}

Deno.test("random appends, snapshots and crashes never lose acknowledged data nor fail-stop", async () => {
  const seeds = Number(Deno.env.get("CRASH_PROP_SEEDS") ?? 250);
  let crashes = 0;
  let tornTails = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const run = new Run(seed);
    await run.start();
    for (let step = 0; step < STEPS_PER_SEED; step++) {
      await run.step();
    }
    await run.crashAndReopen();
    crashes += run.fs.stats.crashCount;
    tornTails += run.tornTailCount;
  }
  // The run must actually have exercised crashes and torn tails.
  assert.ok(crashes > seeds * 3, `only ${crashes} crashes`);
  assert.ok(tornTails > seeds / 3, `only ${tornTails} torn tails`);
  console.log(`${seeds} seeds: ${crashes} crashes, ${tornTails} torn tails cut`);
});
