import { assert } from "../util/assert.ts";
import type { ConfState, Entry, RaftStorageView, Snapshot } from "./types.ts";

/** Result of appending a leader's entries on a follower. */
export interface AppendOutcome {
  /** Index of the last entry covered by the append (prevIndex + entry count). */
  lastNewIndex: number;
  /** First index actually written (after any truncation), or null when nothing changed. */
  firstWrittenIndex: number | null;
}

/**
 * The in-memory log of one group: a snapshot (compaction point) followed by entries.
 * Tracks which entries were handed to the host for persistence and which for applying.
 * Invariants: snapshot.index <= appliedIndex <= committedIndex <= lastIndex.
 */
export class RaftLog {
  #snapshot: Snapshot;
  /**
   * `#snapshot.index`, kept as a number of its own: read on every log access, and snapshots come
   * in several object shapes (loaded, received, made by compaction), which made the property read
   * a measurable share of a busy follower's CPU.
   */
  #snapshotIndex: number;
  #entries: Entry[];
  #committedIndex: number;
  #appliedIndex: number;
  /** Highest index handed out as a committed entry (>= applied). */
  #applyingIndex: number;
  /** Entries at or below this index were handed out for persistence. */
  #stableIndex: number;
  /** Snapshot received from a leader, not yet handed to the host. */
  #pendingSnapshot: Snapshot | null = null;

  /** Loads the log from what the host persisted; throws on inconsistent input. */
  constructor(storage: RaftStorageView) {
    const snapshot = storage.snapshot;
    let expected = snapshot.index + 1;
    for (const entry of storage.entries) {
      if (entry.index !== expected) {
        throw new Error(
          `Cannot load Raft log: entry index ${entry.index} where ${expected} was expected`,
        );
      }
      expected++;
    }
    const lastIndex = expected - 1;
    const commit = Math.max(storage.hardState.commitIndex, snapshot.index);
    if (commit > lastIndex) {
      throw new Error(
        `Cannot load Raft log: commit index ${commit} exceeds last index ${lastIndex}`,
      );
    }
    this.#snapshot = snapshot;
    this.#snapshotIndex = snapshot.index;
    this.#entries = storage.entries.slice();
    this.#committedIndex = commit;
    this.#appliedIndex = snapshot.index;
    this.#applyingIndex = snapshot.index;
    this.#stableIndex = lastIndex;
  }

  /** The latest snapshot (compaction point). */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Highest committed index. */
  get committedIndex(): number {
    return this.#committedIndex;
  }

  /** Highest index the host acknowledged as applied. */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** Replaces the snapshot (compaction point), keeping `#snapshotIndex` with it. */
  #setSnapshot(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    this.#snapshotIndex = snapshot.index;
  }

  /** First index still held as an entry. */
  firstIndex(): number {
    return this.#snapshotIndex + 1;
  }

  /** Last index in the log (the snapshot index when there are no entries). */
  lastIndex(): number {
    return this.#snapshotIndex + this.#entries.length;
  }

  /** Term of the last entry. */
  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term at `index`, or undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.#snapshotIndex) return this.#snapshot.term;
    if (index < this.#snapshotIndex) return undefined;
    return this.#entries[index - this.#snapshotIndex - 1]?.term;
  }

  /** The entry at `index` or undefined. */
  entry(index: number): Entry | undefined {
    if (index <= this.#snapshotIndex) return undefined;
    return this.#entries[index - this.#snapshotIndex - 1];
  }

  /** True when the entry at `index` has term `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's election restriction: is (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Largest index <= `index` whose term is <= `term` (the snapshot index at the lowest). */
  findConflictByTerm(index: number, term: number): number {
    let probe = Math.min(index, this.lastIndex());
    while (probe > this.#snapshotIndex) {
      const probeTerm = this.term(probe);
      if (probeTerm !== undefined && probeTerm <= term) break;
      probe--;
    }
    return probe;
  }

  /** Entries from `fromIndex`, at most `countMax` and `bytesMax` payload bytes (at least one). */
  slice(fromIndex: number, countMax: number, bytesMax: number): Entry[] {
    assert(fromIndex > this.#snapshotIndex, `slice from compacted index ${fromIndex}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = fromIndex; i <= this.lastIndex() && out.length < countMax; i++) {
      const entry = this.entry(i);
      assert(entry !== undefined, `missing entry ${i}`);
      bytes += entry.data.length;
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** Payload bytes of entries in (fromIndex, toIndex]. */
  bytesBetween(fromIndex: number, toIndex: number): number {
    let bytes = 0;
    for (let i = Math.max(fromIndex, this.#snapshotIndex) + 1; i <= toIndex; i++) {
      bytes += this.entry(i)?.data.length ?? 0;
    }
    return bytes;
  }

  /** Appends entries that directly follow the last index (leader path). */
  appendAsLeader(entry: Entry): void {
    assert(entry.index === this.lastIndex() + 1, `leader append at ${entry.index}`);
    this.#entries.push(entry);
  }

  /** Follower path: append after (prevIndex, prevTerm), truncating a conflicting suffix. */
  maybeAppend(prevIndex: number, prevTerm: number, entries: Entry[]): AppendOutcome | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNewIndex = prevIndex + entries.length;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.index <= this.#snapshotIndex) continue;
      const ourTerm = this.term(entry.index);
      if (ourTerm === entry.term) continue;
      assert(entry.index > this.#committedIndex, `truncating committed index ${entry.index}`);
      this.#truncateFrom(entry.index);
      for (let j = i; j < entries.length; j++) this.#entries.push(entries[j]!);
      return { lastNewIndex, firstWrittenIndex: entry.index };
    }
    return { lastNewIndex, firstWrittenIndex: null };
  }

  #truncateFrom(index: number): void {
    this.#entries.length = index - this.#snapshotIndex - 1;
    this.#stableIndex = Math.min(this.#stableIndex, index - 1);
    this.#applyingIndex = Math.min(this.#applyingIndex, index - 1);
  }

  /** Raises the commit index (never lowers it). */
  commitTo(index: number): boolean {
    if (index <= this.#committedIndex) return false;
    assert(index <= this.lastIndex(), `commit ${index} beyond last ${this.lastIndex()}`);
    this.#committedIndex = index;
    return true;
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    assert(snapshot.index > this.#committedIndex, "restore of an already committed snapshot");
    this.#setSnapshot(snapshot);
    this.#entries = [];
    this.#committedIndex = snapshot.index;
    this.#applyingIndex = snapshot.index;
    this.#stableIndex = snapshot.index;
    this.#pendingSnapshot = snapshot;
  }

  /** Drops entries up to `index` (<= applied), recording the host's snapshot image. */
  compact(index: number, confState: ConfState, data: Uint8Array): void {
    const term = this.term(index);
    assert(term !== undefined, `compact at unknown index ${index}`);
    this.#entries = this.#entries.slice(index - this.#snapshotIndex);
    this.#setSnapshot({ index, term, confState, data });
  }

  /** True when entries await persistence. */
  hasUnstable(): boolean {
    return this.lastIndex() > this.#stableIndex;
  }

  /** Hands out the unpersisted entries and the pending snapshot. */
  takeUnstable(): { entries: Entry[]; snapshot: Snapshot | null } {
    const from = this.#stableIndex + 1;
    const entries = from <= this.lastIndex() ? this.#entries.slice(from - this.firstIndex()) : [];
    this.#stableIndex = this.lastIndex();
    const snapshot = this.#pendingSnapshot;
    this.#pendingSnapshot = null;
    return { entries, snapshot };
  }

  /** True when a snapshot awaits hand-out. */
  hasPendingSnapshot(): boolean {
    return this.#pendingSnapshot !== null;
  }

  /** True when committed entries await applying. */
  hasCommittedToApply(): boolean {
    return this.#committedIndex > this.#applyingIndex;
  }

  /** Hands out up to `countMax` committed, not yet applied entries. */
  takeCommitted(countMax: number): Entry[] {
    const to = Math.min(this.#committedIndex, this.#applyingIndex + countMax);
    const out: Entry[] = [];
    for (let i = this.#applyingIndex + 1; i <= to; i++) {
      const entry = this.entry(i);
      assert(entry !== undefined, `committed entry ${i} missing`);
      out.push(entry);
    }
    this.#applyingIndex = Math.max(this.#applyingIndex, to);
    return out;
  }

  /** Records that the host applied everything up to `index`. */
  appliedTo(index: number): void {
    if (index <= this.#appliedIndex) return;
    assert(index <= this.#committedIndex, `applied ${index} beyond commit`);
    this.#appliedIndex = index;
  }
}
