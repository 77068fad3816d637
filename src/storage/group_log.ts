/**
 * `GroupLog`: one Raft group's view of the node log, with the semantics of a log of its own
 * (in-memory view updated at once, `append()` resolves when durable, snapshots,
 * reads from the tail cache or the shared segments). Its records go through the node log's one
 * group commit, so appends of every group made while a flush runs share the next fdatasync.
 */
import { checkEntries, checkHardState } from "./append_check.ts";
import { EntryCache } from "./entry_cache.ts";
import type { EntryIndex } from "./entry_index.ts";
import type { DataLocation } from "./entry_reader.ts";
import { collectEntries } from "./entry_reads.ts";
import { InvalidLogRequestError, StorageLimitError, WalClosedError } from "./errors.ts";
import { type GroupUpdate, groupUpdateRecordBytes } from "./group_record.ts";
import { READ_BYTES_MAX_DEFAULT } from "./limits.ts";
import type { SnapshotStore } from "./snapshot_store.ts";
import type { SnapshotMeta, StoredHardState, StoredSnapshot } from "./types.ts";
import type { LogRecordEntry } from "./types.ts";

/** What one `append()` call persists; at least one part, or neither for a durability barrier. */
export interface AppendBatch {
  /** Contiguous entries; an index <= `lastIndex()` first truncates the log from there. */
  entries?: LogRecordEntry[];
  /** New hard state (term never decreases; a vote is never changed within a term). */
  hardState?: StoredHardState;
}

/**
 * What a Raft host needs of its durable log; `GroupLog` (one group of the node log) provides it,
 * test doubles may too.
 */
export interface RaftLogStore {
  /** Appends entries and/or a hard state; resolves when durable. */
  append(batch: AppendBatch): Promise<void>;
  /** Saves a snapshot and compacts the log up to it. */
  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<void>;
  /** The newest snapshot, or null. */
  loadSnapshot(): Promise<StoredSnapshot | null>;
  /** Hard state of the latest accepted append. */
  hardState(): StoredHardState;
  /** Last entry index. */
  lastIndex(): number;
  /** Entries in a range, up to a byte bound. */
  entries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax?: number,
  ): Promise<LogRecordEntry[]>;
}

/** One queued record of a group, or a durability barrier (both null). */
export interface GroupRequest {
  /** The group it belongs to. */
  group: GroupLog | null;
  /** Its record. */
  update: GroupUpdate | null;
  /** Index of its first entry; Infinity when it has none. */
  firstEntryIndex: number;
  /**
   * For a rewrite of live entries: the group's `truncationCount` when it was made. If no
   * truncation happened before the flush, the entries' locations move to the rewritten copies.
   */
  relocates?: number;
}

/** What a group needs from the node log that holds it. */
export interface GroupLogHost {
  /** Live entries a group may hold. */
  readonly logEntriesMax: number;
  /** Largest record, header included. */
  readonly recordBytesMax: number;
  /** Throws when the node log is closed or failed. */
  checkOpen(action: string): void;
  /** Why a record of `bytes` would be refused now, or null. */
  refusal(bytes: number): Error | null;
  /** Queues a checked record; resolves when durable. */
  submit(request: GroupRequest, bytes: number): Promise<void>;
  /** Resolves when everything queued so far is durable. */
  submitBarrier(): Promise<void>;
  /** Reads uncached entry data from the segments. */
  read(missing: DataLocation[]): Promise<void>;
  /** Entry data a group keeps cached (its share of the node's cache). */
  cacheBytesMax(): number;
  /** Makes the group's snapshot directory exist durably. */
  prepareSnapshot(group: GroupLog): Promise<void>;
  /** Called once a snapshot of `group` is durable and recorded: prune files and segments. */
  afterSnapshot(group: GroupLog): Promise<void>;
}

/** One group's durable Raft log inside the node log. */
export class GroupLog implements RaftLogStore {
  /** The group's id. */
  readonly groupId: number;
  readonly #host: GroupLogHost;
  /** Entry index; replaced only by the node log's recovery. */
  readonly #index: EntryIndex;
  readonly #cache: EntryCache;
  readonly #snapshots: SnapshotStore;
  #hardState: StoredHardState;
  /** Lowest entry index queued or in flight (Infinity = none). */
  #unwrittenFromIndex = Infinity;
  #savingSnapshotIndex = 0;
  #savingSnapshot: Promise<void> = Promise.resolve();
  /** Set once the group is removed from the node: every call is refused. */
  #removed = false;
  /** Bumped by every in-memory truncation (a rewrite made before one is stale). */
  #truncationCount = 0;

  /** Use `NodeLog.group()`. */
  constructor(
    groupId: number,
    host: GroupLogHost,
    recovered: { index: EntryIndex; hardState: StoredHardState },
    snapshots: SnapshotStore,
  ) {
    this.groupId = groupId;
    this.#host = host;
    this.#index = recovered.index;
    this.#cache = new EntryCache(recovered.index.lastIndex + 1);
    this.#hardState = recovered.hardState;
    this.#snapshots = snapshots;
  }

  /** First live entry index (`snapshotIndex + 1`). */
  firstIndex(): number {
    return this.#index.firstIndex;
  }

  /** Last entry index (the snapshot index when no entry follows it; 0 for a new group). */
  lastIndex(): number {
    return this.#index.lastIndex;
  }

  /** Term of entry `index` (the snapshot's term at its index); undefined outside the log. */
  term(index: number): number | undefined {
    return this.#index.term(index);
  }

  /** Hard state of the latest accepted append. */
  hardState(): StoredHardState {
    return { ...this.#hardState };
  }

  /** Metadata of the latest snapshot, or null. */
  snapshotMeta(): SnapshotMeta | null {
    const meta = this.#snapshots.meta;
    return meta === null ? null : { ...meta };
  }

  /** Bytes of entry data cached in memory. */
  get cacheBytes(): number {
    return this.#cache.bytes;
  }

  /** The entry index (the node log records where entries land). */
  get entryIndex(): EntryIndex {
    return this.#index;
  }

  /** The tail cache (the node log checks which entries are still the appended ones). */
  get entryCache(): EntryCache {
    return this.#cache;
  }

  /** Truncations so far (see `GroupRequest.relocates`). */
  get truncationCount(): number {
    return this.#truncationCount;
  }

  /** True once the group was removed. */
  get removed(): boolean {
    return this.#removed;
  }

  /**
   * Appends entries and/or a hard state as one record; resolves when durable. Refusals reject
   * without changing anything.
   */
  append(batch: AppendBatch): Promise<void> {
    try {
      const prepared = this.prepareAppend(batch);
      if (prepared === null) return this.#host.submitBarrier();
      this.applyAppend(prepared.request);
      return this.#host.submit(prepared.request, prepared.bytes);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Checks `batch` and encodes its record without changing anything; null for an empty batch.
   * `NodeLog.appendRound` checks every group of a round before applying any.
   */
  prepareAppend(batch: AppendBatch): { request: GroupRequest; bytes: number } | null {
    this.#checkUsable("append");
    const entries = batch.entries !== undefined && batch.entries.length > 0 ? batch.entries : null;
    const hardState = batch.hardState === undefined
      ? null
      : checkHardState(batch.hardState, this.#hardState);
    if (entries === null && hardState === null) return null;
    const index = this.#index;
    const truncateFromIndex = entries === null ? 0 : checkEntries(entries, {
      firstIndex: index.firstIndex,
      lastIndex: index.lastIndex,
      frozenThroughIndex: this.#savingSnapshotIndex,
      logEntriesMax: this.#host.logEntriesMax,
      term: (i) => index.term(i),
    });
    const update: GroupUpdate = {
      groupId: this.groupId,
      hardState,
      truncateFromIndex,
      entries: entries === null ? null : [...entries],
      snapshot: null,
      removed: false,
    };
    const bytes = groupUpdateRecordBytes(update);
    if (bytes > this.#host.recordBytesMax) {
      throw new StorageLimitError(
        `Cannot append: record of ${bytes} bytes exceeds maximum of ` +
          `${this.#host.recordBytesMax} bytes (recordBytesMax)`,
      );
    }
    const refusal = this.#host.refusal(bytes);
    if (refusal !== null) throw refusal;
    const request = { group: this, update, firstEntryIndex: entries?.[0]?.index ?? Infinity };
    return { request, bytes };
  }

  /** Applies a prepared append to the in-memory view. */
  applyAppend(request: GroupRequest): void {
    const update = request.update;
    if (update === null) return;
    if (update.hardState !== null) {
      const { term, votedFor, commitIndex } = update.hardState;
      this.#hardState = { term, votedFor, commitIndex };
    }
    if (update.entries === null) return;
    if (update.truncateFromIndex > 0) this.#truncateMemory(update.truncateFromIndex);
    for (const entry of update.entries) {
      this.#index.push(entry.term, entry.data.length);
      this.#cache.push(entry.index, entry.data);
    }
    this.#unwrittenFromIndex = Math.min(this.#unwrittenFromIndex, request.firstEntryIndex);
    this.#cache.evict(this.#host.cacheBytesMax(), this.#unwrittenFromIndex);
  }

  /** After a flush: only entries from `unwrittenFromIndex` on must stay cached. */
  written(unwrittenFromIndex: number): void {
    this.#unwrittenFromIndex = unwrittenFromIndex;
    this.#cache.evict(this.#host.cacheBytesMax(), unwrittenFromIndex);
  }

  /** Entries in the range, up to `bytesMax` (at least one); uncached ones are read from disk. */
  async entries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax: number = READ_BYTES_MAX_DEFAULT,
  ): Promise<LogRecordEntry[]> {
    const { result, missing } = this.#collect(fromIndex, toIndexExclusive, bytesMax);
    if (missing.length > 0) await this.#host.read(missing);
    return result;
  }

  /** Like `entries()` but synchronous: null when any requested entry is not cached. */
  cachedEntries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax: number = READ_BYTES_MAX_DEFAULT,
  ): LogRecordEntry[] | null {
    const { result, missing } = this.#collect(fromIndex, toIndexExclusive, bytesMax);
    return missing.length > 0 ? null : result;
  }

  /** The entries of a range, with the locations still to read from disk into them. */
  #collect(fromIndex: number, toIndexExclusive: number, bytesMax: number) {
    this.#checkUsable("read entries");
    const missing: DataLocation[] = [];
    const result = collectEntries(
      this.#index,
      this.#cache,
      fromIndex,
      toIndexExclusive,
      bytesMax,
      missing,
    );
    return { result, missing };
  }

  /**
   * Saves a snapshot of the group up to `meta.index`: the file (temp, fsync, rename, directory
   * fsync), then a durable snapshot record in the node log, then drops covered entries, older
   * snapshot files and segments no group needs. One save at a time per group.
   */
  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    try {
      this.#checkUsable("save snapshot");
      this.#snapshots.checkSave(meta, data);
      if (this.#savingSnapshotIndex > 0) {
        throw new InvalidLogRequestError(
          `Cannot save snapshot at index ${meta.index}: the snapshot at index ` +
            `${this.#savingSnapshotIndex} is still being saved`,
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    this.#savingSnapshotIndex = meta.index;
    const saving = this.#saveSnapshot(
      { index: meta.index, term: meta.term, config: meta.config },
      data,
    ).finally(() => {
      this.#savingSnapshotIndex = 0;
    });
    this.#savingSnapshot = saving.catch(() => {});
    return saving;
  }

  /** The newest snapshot (verified against its checksums), or null. */
  loadSnapshot(): Promise<StoredSnapshot | null> {
    try {
      this.#checkUsable("load snapshot");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#snapshots.load();
  }

  /** Resolves once a running snapshot save has finished (successfully or not). */
  snapshotSaved(): Promise<void> {
    return this.#savingSnapshot;
  }

  /** Marks the group removed (every later call is refused); resolves after a running save. */
  markRemoved(): Promise<void> {
    this.#removed = true;
    return this.#savingSnapshot;
  }

  /** The group's snapshot files. */
  get snapshots(): SnapshotStore {
    return this.#snapshots;
  }

  async #saveSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    const index = this.#index;
    const localTerm = index.term(meta.index);
    if (localTerm !== undefined && localTerm !== meta.term && meta.index < index.lastIndex) {
      // The log diverges from the snapshot: its suffix must not come back on replay.
      await this.#submitUpdate({ truncateFromIndex: meta.index + 1, snapshot: null });
    }
    await this.#host.prepareSnapshot(this);
    await this.#snapshots.save(meta, data);
    await this.#submitUpdate({
      truncateFromIndex: 0,
      snapshot: { index: meta.index, term: meta.term },
    });
    index.compactTo(meta.index, meta.term);
    this.#cache.dropBelow(meta.index + 1);
    await this.#host.afterSnapshot(this);
  }

  #submitUpdate(
    part: { truncateFromIndex: number; snapshot: { index: number; term: number } | null },
  ): Promise<void> {
    const update: GroupUpdate = {
      groupId: this.groupId,
      hardState: null,
      entries: null,
      removed: false,
      ...part,
    };
    const bytes = groupUpdateRecordBytes(update);
    const refusal = this.#host.refusal(bytes);
    if (refusal !== null) return Promise.reject(refusal);
    if (part.truncateFromIndex > 0) this.#truncateMemory(part.truncateFromIndex);
    return this.#host.submit({ group: this, update, firstEntryIndex: Infinity }, bytes);
  }

  /**
   * Rewrites every live entry (read from cache or disk) as one new record, so older segments
   * no longer hold anything this group needs. Skipped (false) when the live entries exceed
   * `bytesMax`, or the log was truncated or the group removed while reading.
   */
  async rewrite(bytesMax: number): Promise<boolean> {
    const first = this.#index.firstIndex;
    const last = this.#index.lastIndex;
    if (last < first || this.#removed || this.#savingSnapshotIndex > 0) return false;
    const truncations = this.#truncationCount;
    const entries = await this.entries(first, last + 1, bytesMax);
    if (entries.length !== last - first + 1) return false;
    // Appends made meanwhile would be queued before the rewrite and cut off by it on replay.
    const changed = truncations !== this.#truncationCount || first !== this.#index.firstIndex ||
      last !== this.#index.lastIndex;
    if (this.#removed || changed) return false;
    const update: GroupUpdate = {
      groupId: this.groupId,
      hardState: null,
      truncateFromIndex: first,
      entries,
      snapshot: null,
      removed: false,
    };
    const bytes = groupUpdateRecordBytes(update);
    if (bytes > this.#host.recordBytesMax || this.#host.refusal(bytes) !== null) return false;
    await this.#host.submit(
      { group: this, update, firstEntryIndex: Infinity, relocates: truncations },
      bytes,
    );
    return true;
  }

  #truncateMemory(fromIndex: number): void {
    this.#truncationCount += 1;
    this.#index.truncateFrom(fromIndex);
    this.#cache.truncateFrom(fromIndex);
  }

  #checkUsable(action: string): void {
    this.#host.checkOpen(action);
    if (this.#removed) {
      throw new WalClosedError(`Cannot ${action}: group ${this.groupId} was removed from the node`);
    }
  }
}
