import { fromRecord } from "../../src/consensus/wal_bridge.ts";
import type {
  AppendBatch,
  GroupLog,
  LogRecordEntry,
  RaftLogStore,
  SnapshotMeta,
  StoredHardState,
  StoredSnapshot,
} from "../../src/storage/mod.ts";
import type { InvariantChecker } from "./invariants.ts";

/**
 * What one group's log has acknowledged as durable (appends and snapshots whose promise
 * resolved), as entry terms; rebuilt from the recovered log on every restart. The commit
 * durability invariant asks it whether an entry is on disk.
 */
export class DurableLog {
  #snapshotIndex = 0;
  #snapshotTerm = 0;
  /** Term of entry `snapshotIndex + 1 + i`. */
  #terms: number[] = [];

  /** True when entry (`index`, `term`) is durable, or covered by the durable snapshot. */
  holds(index: number, term: number): boolean {
    if (index <= this.#snapshotIndex) return true;
    return this.#terms[index - 1 - this.#snapshotIndex] === term;
  }

  /** Term of durable entry `index` (the snapshot's at its index), or undefined. */
  termAt(index: number): number | undefined {
    if (index === this.#snapshotIndex) return this.#snapshotTerm;
    if (index < this.#snapshotIndex) return undefined;
    return this.#terms[index - 1 - this.#snapshotIndex];
  }

  /** Entries acknowledged durable: a write from an index replaces the tail from there. */
  entriesDurable(entries: readonly LogRecordEntry[]): void {
    const first = entries[0]?.index;
    if (first === undefined) return;
    const keep = Math.max(0, first - 1 - this.#snapshotIndex);
    this.#terms = this.#terms.slice(0, keep);
    for (const entry of entries) {
      if (entry.index > this.#snapshotIndex) this.#terms.push(entry.term);
    }
  }

  /** A snapshot acknowledged durable: covered entries go, a diverging tail too. */
  snapshotDurable(index: number, term: number): void {
    const matches = this.termAt(index) === term;
    const last = this.#snapshotIndex + this.#terms.length;
    const tail = matches && index < last ? this.#terms.slice(index - this.#snapshotIndex) : [];
    this.#snapshotIndex = index;
    this.#snapshotTerm = term;
    this.#terms = tail;
  }

  /** Replaces the model with what `log` recovered after a restart. */
  reload(log: GroupLog): void {
    const meta = log.snapshotMeta();
    this.#snapshotIndex = meta?.index ?? 0;
    this.#snapshotTerm = meta?.term ?? 0;
    this.#terms = [];
    for (let index = this.#snapshotIndex + 1; index <= log.lastIndex(); index++) {
      this.#terms.push(log.term(index)!);
    }
  }
}

/**
 * The production `GroupLog` as the RaftHost's log store, watched: when an append is
 * acknowledged durable its entries are fed to the log matching check and to `DurableLog`.
 */
export class CheckedLog implements RaftLogStore {
  readonly #log: GroupLog;
  readonly #durable: DurableLog;
  readonly #checker: InvariantChecker;
  readonly #nodeId: string;
  readonly #fail: (error: unknown) => void;

  /** Watches `log` of node `nodeId`; check failures go to `fail` (the host would swallow them). */
  constructor(
    nodeId: string,
    log: GroupLog,
    durable: DurableLog,
    checker: InvariantChecker,
    fail: (error: unknown) => void,
  ) {
    this.#nodeId = nodeId;
    this.#log = log;
    this.#durable = durable;
    this.#checker = checker;
    this.#fail = fail;
  }

  append(batch: AppendBatch): Promise<void> {
    const entries = batch.entries ?? [];
    const written = this.#log.append(batch);
    if (entries.length === 0) return written;
    return written.then(() => {
      try {
        for (const record of entries) {
          const prevTerm = this.#durable.termAt(record.index - 1);
          this.#checker.onPersist(this.#nodeId, fromRecord(record), prevTerm);
          this.#durable.entriesDurable([record]);
        }
      } catch (error) {
        this.#fail(error);
        throw error;
      }
    });
  }

  async saveSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    await this.#log.saveSnapshot(meta, data);
    this.#durable.snapshotDurable(meta.index, meta.term);
  }

  loadSnapshot(): Promise<StoredSnapshot | null> {
    return this.#log.loadSnapshot();
  }

  hardState(): StoredHardState {
    return this.#log.hardState();
  }

  lastIndex(): number {
    return this.#log.lastIndex();
  }

  entries(from: number, toExclusive: number, bytesMax?: number): Promise<LogRecordEntry[]> {
    return this.#log.entries(from, toExclusive, bytesMax);
  }
}
