import type { Entry, HardState, RaftStorageView, Ready, Snapshot } from "../../src/raft/mod.ts";
import type { SeededRandom } from "../../src/raft/mod.ts";

type WalRecord =
  | { kind: "snapshot"; snapshot: Snapshot }
  | { kind: "entries"; entries: Entry[] }
  | { kind: "hardState"; hardState: HardState };

/**
 * In-memory durable storage with an explicit fsync. Writes land in an unsynced tail; a crash
 * keeps a random prefix of that tail (possibly tearing an entries record) and drops the rest.
 */
export class FakeStorage {
  #hardState: HardState;
  #snapshot: Snapshot;
  #entries: Entry[];
  #unsynced: WalRecord[] = [];

  /** Starts from a view (bootstrap storage). */
  constructor(view: RaftStorageView) {
    this.#hardState = view.hardState;
    this.#snapshot = view.snapshot;
    this.#entries = view.entries.slice();
  }

  /** Buffers a Ready's durable parts in WAL order: snapshot, entries, hard state. */
  write(ready: Ready): void {
    if (ready.snapshot !== null) {
      this.#unsynced.push({ kind: "snapshot", snapshot: ready.snapshot });
    }
    if (ready.entries.length > 0) this.#unsynced.push({ kind: "entries", entries: ready.entries });
    if (ready.hardState !== null) {
      this.#unsynced.push({ kind: "hardState", hardState: ready.hardState });
    }
  }

  /** Makes every buffered record durable. */
  sync(): void {
    for (const record of this.#unsynced) this.#apply(record);
    this.#unsynced = [];
  }

  /** Simulates power loss: a random prefix of the unsynced tail survives, maybe torn. */
  crash(random: SeededRandom): void {
    const keep = random.int(this.#unsynced.length + 1);
    for (let i = 0; i < keep; i++) this.#apply(this.#unsynced[i]!);
    const torn = this.#unsynced[keep];
    if (torn?.kind === "entries" && random.chance(0.5)) {
      const prefix = torn.entries.slice(0, random.int(torn.entries.length + 1));
      if (prefix.length > 0) this.#apply({ kind: "entries", entries: prefix });
    }
    this.#unsynced = [];
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

  #apply(record: WalRecord): void {
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
