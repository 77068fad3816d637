import type { Entry, HardState, RaftStorageView, Ready, Snapshot } from "../../src/raft/mod.ts";
import type { SeededRandom } from "../../src/raft/mod.ts";

/** One durable record of a group's log. */
export type WalRecord =
  | { kind: "snapshot"; snapshot: Snapshot }
  | { kind: "entries"; entries: Entry[] }
  | { kind: "hardState"; hardState: HardState };

/**
 * One node's log file shared by all its groups: records of every group land in one unsynced tail
 * in write order; one fsync makes all of them durable, and a crash keeps a random prefix of the
 * interleaved tail (possibly tearing an entries record) and drops the rest, for every group at once.
 */
export class NodeDisk {
  #unsynced: { storage: FakeStorage; record: WalRecord }[] = [];

  /** Buffers `record` of `storage`'s group. */
  append(storage: FakeStorage, record: WalRecord): void {
    this.#unsynced.push({ storage, record });
  }

  /** Makes every buffered record of every group durable. */
  sync(): void {
    for (const { storage, record } of this.#unsynced) storage.applyRecord(record);
    this.#unsynced = [];
  }

  /** Simulates power loss: a random prefix of the shared unsynced tail survives, maybe torn. */
  crash(random: SeededRandom): void {
    const keep = random.int(this.#unsynced.length + 1);
    for (let i = 0; i < keep; i++) {
      const { storage, record } = this.#unsynced[i]!;
      storage.applyRecord(record);
    }
    const torn = this.#unsynced[keep];
    if (torn?.record.kind === "entries" && random.chance(0.5)) {
      const entries = torn.record.entries;
      const prefix = entries.slice(0, random.int(entries.length + 1));
      if (prefix.length > 0) torn.storage.applyRecord({ kind: "entries", entries: prefix });
    }
    this.#unsynced = [];
  }
}

/**
 * One group's in-memory durable storage with an explicit fsync, writing through a `NodeDisk`
 * (its own unless one shared by several groups is given). Writes land in the disk's unsynced
 * tail; `sync` and `crash` act on the whole disk.
 */
export class FakeStorage {
  #hardState: HardState;
  #snapshot: Snapshot;
  #entries: Entry[];
  #disk: NodeDisk;

  /** Starts from a view (bootstrap storage), writing through `disk`. */
  constructor(view: RaftStorageView, disk: NodeDisk = new NodeDisk()) {
    this.#hardState = view.hardState;
    this.#snapshot = view.snapshot;
    this.#entries = view.entries.slice();
    this.#disk = disk;
  }

  /** Buffers a Ready's durable parts in WAL order: snapshot, entries, hard state. */
  write(ready: Ready): void {
    if (ready.snapshot !== null) {
      this.#disk.append(this, { kind: "snapshot", snapshot: ready.snapshot });
    }
    if (ready.entries.length > 0) {
      this.#disk.append(this, { kind: "entries", entries: ready.entries });
    }
    if (ready.hardState !== null) {
      this.#disk.append(this, { kind: "hardState", hardState: ready.hardState });
    }
  }

  /** Makes every buffered record of the disk durable (all groups sharing it). */
  sync(): void {
    this.#disk.sync();
  }

  /** Simulates power loss of the disk (all groups sharing it). */
  crash(random: SeededRandom): void {
    this.#disk.crash(random);
  }

  /** The host's own snapshot: durable at once, then the covered entries are dropped. */
  compact(snapshot: Snapshot): void {
    if (snapshot.index <= this.#snapshot.index) return;
    this.#entries = this.#entries.filter((e) => e.index > snapshot.index);
    this.#snapshot = snapshot;
  }

  /** What survived, as the core's restart input. */
  view(): RaftStorageView {
    return { hardState: this.#hardState, snapshot: this.#snapshot, entries: this.#entries.slice() };
  }

  /** True when entry (`index`, `term`) is durable here, or covered by the durable snapshot. */
  holdsDurably(index: number, term: number): boolean {
    if (index <= this.#snapshot.index) return true;
    return this.#entries[index - 1 - this.#snapshot.index]?.term === term;
  }

  /** Term of the durable entry before `index` (for log-matching checks). */
  termBefore(index: number): number | undefined {
    if (index - 1 === this.#snapshot.index) return this.#snapshot.term;
    return this.#entries[index - 2 - this.#snapshot.index]?.term;
  }

  /** Makes one record durable (called by the disk on sync or crash). */
  applyRecord(record: WalRecord): void {
    switch (record.kind) {
      case "snapshot":
        this.#snapshot = record.snapshot;
        this.#entries = [];
        return;
      case "entries": {
        const first = record.entries[0]!.index;
        const keep = Math.max(0, first - this.#snapshot.index - 1);
        if (keep > this.#entries.length) {
          throw new Error(`Storage gap: entries from ${first} after ${this.#lastIndex()}`);
        }
        this.#entries = this.#entries.slice(0, keep).concat(
          record.entries.filter((e) => e.index > this.#snapshot.index),
        );
        return;
      }
      case "hardState":
        this.#hardState = record.hardState;
        return;
    }
  }

  #lastIndex(): number {
    return this.#snapshot.index + this.#entries.length;
  }
}
