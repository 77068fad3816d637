/**
 * Property: a node log shared by several groups, on the simulated disk, under random rounds of
 * appends across groups, per-group snapshots, group removals and re-adds, power cuts at random
 * operations and crashes keeping random unsynced pages, never loses an acknowledged entry,
 * hard state, snapshot or removal of any group, and recovery never fail-stops.
 * `NODE_CRASH_SEEDS` sets the number of seeds (default 120).
 */
import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/random.ts";
import { type GroupAppend, type LogRecordEntry, NodeLog } from "../../src/storage/mod.ts";
import { testOptions } from "./helpers.ts";
import { SimFileSystem, SimulatedCrashError } from "./sim_file_system.ts";

const DATA_DIR = "/data/n1";
const GROUP_IDS = [0, 1, 2, 5, 9];
const STEPS_PER_SEED = 40;
const REOPEN_ATTEMPTS_MAX = 5;
const ENTRY_BYTES = [20, 300, 1500];
const CONFIG = new TextEncoder().encode("voters=n1");

/** What the test knows about one group. */
class GroupModel {
  written = new Map<number, Uint8Array>();
  ackedLastIndex = 0;
  ackedTerm = 0;
  ackedSnapshotIndex = 0;
  term = 0;
  /** A removal was acknowledged and nothing was written to the group since. */
  removalAcked = false;
  /** A removal was requested and not acknowledged. */
  removalPending = false;

  get holdsAcked(): boolean {
    return this.ackedLastIndex > 0 || this.ackedTerm > 0 || this.ackedSnapshotIndex > 0;
  }

  reset(): void {
    this.written = new Map();
    this.ackedLastIndex = 0;
    this.ackedTerm = 0;
    this.ackedSnapshotIndex = 0;
    this.term = 0;
  }
}

class Run {
  readonly fs = new SimFileSystem();
  readonly random: SeededRandom;
  readonly models = new Map(GROUP_IDS.map((id) => [id, new GroupModel()]));
  readonly seed: number;
  log: NodeLog | null = null;
  generation = 0;
  /** Segments deleted by compaction, over every open of this run. */
  removedSegmentCount = 0;
  /** Torn tails cut by the reopens of this run. */
  tornTailCount = 0;

  constructor(seed: number) {
    this.seed = seed;
    this.random = new SeededRandom(seed);
  }

  open(): Promise<NodeLog> {
    const options = testOptions({
      fileSystem: this.fs,
      segmentBytesMax: 12 * 1024,
      batchBytesMax: 8 * 1024,
      recordBytesMax: 4 * 1024,
      cacheBytesMax: 4096,
    });
    return NodeLog.open(DATA_DIR, { ...options, groupsMax: 8 });
  }

  async start(): Promise<void> {
    await this.fs.mkdir("/data");
    await this.fs.syncDir("/");
    this.log = await this.open();
  }

  async step(): Promise<void> {
    const roll = this.random.next();
    if (roll < 0.5) await this.round();
    else if (roll < 0.75) await this.snapshot();
    else if (roll < 0.82) await this.remove();
    else if (roll < 0.92) await this.crashAndReopen();
    if (this.fs.powerCut) await this.crashAndReopen();
  }

  async round(): Promise<void> {
    const log = this.log!;
    if (this.random.chance(0.5)) this.fs.crashAfterOps(this.random.int(3));
    const parts: GroupAppend[] = [];
    const acks: (() => void)[] = [];
    for (const groupId of GROUP_IDS) {
      if (!this.random.chance(0.6)) continue;
      const model = this.models.get(groupId)!;
      if (model.removalPending) continue;
      const group = log.group(groupId);
      model.removalAcked = false;
      const first = group.lastIndex() + 1;
      const entries: LogRecordEntry[] = [];
      for (let k = 0; k < 1 + this.random.int(2); k++) {
        const index = first + k;
        const size = ENTRY_BYTES[this.random.int(ENTRY_BYTES.length)]!;
        const data = new Uint8Array(size).fill((index * 7 + groupId + this.generation) & 255);
        model.written.set(index, data);
        entries.push({ index, term: 1, data });
      }
      const withHardState = this.random.chance(0.4);
      if (withHardState) model.term += this.random.int(2);
      const term = model.term;
      parts.push({
        groupId,
        entries,
        ...(withHardState ? { hardState: { term, votedFor: "n1", commitIndex: 0 } } : {}),
      });
      acks.push(() => {
        model.ackedLastIndex = Math.max(model.ackedLastIndex, entries.at(-1)!.index);
        if (withHardState) model.ackedTerm = Math.max(model.ackedTerm, term);
      });
    }
    try {
      await log.appendRound(parts);
      for (const ack of acks) ack();
    } catch (error) {
      if (!this.fs.powerCut) throw error;
    }
  }

  async snapshot(): Promise<void> {
    const log = this.log!;
    const groupId = GROUP_IDS[this.random.int(GROUP_IDS.length)]!;
    const model = this.models.get(groupId)!;
    if (!log.hasGroup(groupId) || model.removalPending) return;
    const group = log.group(groupId);
    const from = Math.max(group.firstIndex(), (group.snapshotMeta()?.index ?? 0) + 1);
    if (model.ackedLastIndex < from) return;
    const index = this.random.chance(0.5)
      ? model.ackedLastIndex
      : from + this.random.int(model.ackedLastIndex - from + 1);
    if (this.random.chance(0.3)) this.fs.crashAfterOps(this.random.int(8));
    try {
      await group.saveSnapshot({ index, term: 1, config: CONFIG }, new Uint8Array([groupId]));
      model.ackedSnapshotIndex = index;
    } catch (error) {
      if (!this.fs.powerCut) throw error;
    }
  }

  async remove(): Promise<void> {
    const groupId = GROUP_IDS[this.random.int(GROUP_IDS.length)]!;
    const model = this.models.get(groupId)!;
    if (!this.log!.hasGroup(groupId)) return;
    if (this.random.chance(0.3)) this.fs.crashAfterOps(this.random.int(8));
    model.removalPending = true;
    try {
      await this.log!.removeGroup(groupId);
      model.reset();
      model.removalAcked = true;
    } catch (error) {
      if (!this.fs.powerCut) throw error;
    }
  }

  async crashAndReopen(): Promise<void> {
    this.removedSegmentCount += this.log?.stats().segmentRemovedCount ?? 0;
    this.log = null;
    for (let attempt = 1;; attempt++) {
      this.fs.crash(() => this.random.next(), this.random.next());
      this.generation += 1;
      if (attempt < REOPEN_ATTEMPTS_MAX && this.random.chance(0.3)) {
        this.fs.crashAfterOps(this.random.int(4));
      }
      try {
        this.log = await this.open();
        this.fs.crashAfterOps(Infinity);
        this.tornTailCount += this.log.stats().tornTailCount;
        await this.check();
        return;
      } catch (error) {
        if (!(error instanceof SimulatedCrashError) || !this.fs.powerCut) throw error;
      }
    }
  }

  async check(): Promise<void> {
    const log = this.log!;
    for (const [groupId, model] of this.models) {
      const where = `seed ${this.seed}, group ${groupId}`;
      if (!log.hasGroup(groupId)) {
        assert.ok(!model.holdsAcked || model.removalPending, `${where}: acknowledged group lost`);
        model.reset();
        model.removalPending = false;
        continue;
      }
      assert.ok(!model.removalAcked, `${where}: acknowledged removal undone`);
      if (model.removalPending) model.removalPending = false;
      const group = log.group(groupId);
      assert.ok(group.lastIndex() >= model.ackedLastIndex, `${where}: entries lost`);
      assert.ok(group.hardState().term >= model.ackedTerm, `${where}: term lost`);
      const snapshotIndex = group.snapshotMeta()?.index ?? 0;
      assert.ok(snapshotIndex >= model.ackedSnapshotIndex, `${where}: snapshot lost`);
      for (let from = group.firstIndex(); from <= group.lastIndex();) {
        const entries = await group.entries(from, group.lastIndex() + 1);
        for (const entry of entries) {
          assert.deepEqual(entry.data, model.written.get(entry.index), `${where}: ${entry.index}`);
        }
        from = entries.at(-1)!.index + 1;
      }
    }
  }
}

Deno.test("node log: random rounds, snapshots, removals and crashes keep every acknowledged write", async () => {
  const seeds = Number(Deno.env.get("NODE_CRASH_SEEDS") ?? 120);
  const firstSeed = Number(Deno.env.get("NODE_CRASH_FIRST_SEED") ?? 1);
  let tornTails = 0;
  let removedSegments = 0;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const run = new Run(seed);
    try {
      await run.start();
      for (let step = 0; step < STEPS_PER_SEED; step++) await run.step();
      await run.crashAndReopen();
    } catch (error) {
      throw new Error(`seed ${seed}: ${error}`, { cause: error });
    }
    tornTails += run.tornTailCount;
    removedSegments += run.removedSegmentCount;
  }
  assert.ok(tornTails > seeds / 3, `only ${tornTails} torn tails`);
  assert.ok(removedSegments > seeds / 3, `only ${removedSegments} segments deleted`);
  console.log(`${seeds} seeds: ${tornTails} torn tails cut, ${removedSegments} segments deleted`);
});
