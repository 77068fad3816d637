/**
 * `WriteAheadLog`: the durable Raft log — segment files with group commit, an in-memory entry
 * index and tail cache, snapshots, and recovery on open.
 */
import { assert } from "../util/assert.ts";
import { checkEntries, checkHardState } from "./append_check.ts";
import { type AppendRequest, BatchFlusher } from "./batch_flusher.ts";
import { prepareDataDir, type PreparedDataDir } from "./data_dir.ts";
import type { EntryCache } from "./entry_cache.ts";
import type { EntryIndex } from "./entry_index.ts";
import { type DataLocation, readEntryData } from "./entry_reader.ts";
import { collectEntries } from "./entry_reads.ts";
import { InvalidLogRequestError, StorageLimitError, WalClosedError } from "./errors.ts";
import { GroupCommit } from "./group_commit.ts";
import { READ_BYTES_MAX_DEFAULT } from "./limits.ts";
import { type LogUpdate, logUpdateRecordBytes } from "./log_record.ts";
import { type ResolvedWalOptions, resolveWalOptions, type WalOptions } from "./options.ts";
import { recoverLog } from "./recovery.ts";
import { SegmentWriter } from "./segment_writer.ts";
import { openSnapshots, type SnapshotStore } from "./snapshot_store.ts";
import type {
  LogRecordEntry,
  SnapshotMeta,
  StoredHardState,
  StoredSnapshot,
  StoreIdentity,
} from "./types.ts";
import type { WalStats } from "./wal_stats.ts";
import type { RaftLogStore } from "./group_log.ts";

/** What one `append()` call persists; at least one part, or neither for a durability barrier. */
export interface AppendBatch {
  /** Contiguous entries; an index <= `lastIndex()` first truncates the log from there. */
  entries?: LogRecordEntry[];
  /** New hard state (term never decreases; a vote is never changed within a term). */
  hardState?: StoredHardState;
}

/**
 * The durable Raft log of one node. The in-memory view (`lastIndex()`, `term()`, `entries()`,
 * `hardState()`) reflects every accepted `append()` at once; the promise returned by `append()`
 * resolves once that append is on disk (fdatasync), shared with concurrent appends (group
 * commit).
 */
export class WriteAheadLog implements RaftLogStore {
  readonly #options: ResolvedWalOptions;
  readonly #dir: PreparedDataDir;
  readonly #index: EntryIndex;
  readonly #cache: EntryCache;
  readonly #writer: SegmentWriter;
  readonly #snapshots: SnapshotStore;
  readonly #groupCommit: GroupCommit<AppendRequest>;
  readonly #flusher: BatchFlusher;
  /** Hard state of every accepted append. */
  #hardState: StoredHardState;
  /** Lowest entry index queued or in flight (Infinity = none); the cache keeps it and later. */
  #unwrittenFromIndex = Infinity;
  /** Index of the snapshot being saved; entries up to it are frozen (0 = none). */
  #savingSnapshotIndex = 0;
  #savingSnapshot: Promise<void> = Promise.resolve();
  #closed = false;
  #appendCount = 0;
  #diskReadCount = 0;
  readonly #tornTailCount: number;

  private constructor(
    options: ResolvedWalOptions,
    dir: PreparedDataDir,
    recovered: { index: EntryIndex; cache: EntryCache; hardState: StoredHardState },
    writer: SegmentWriter,
    snapshots: SnapshotStore,
    tornTailCount: number,
  ) {
    this.#options = options;
    this.#dir = dir;
    this.#index = recovered.index;
    this.#cache = recovered.cache;
    this.#hardState = recovered.hardState;
    this.#writer = writer;
    this.#snapshots = snapshots;
    this.#tornTailCount = tornTailCount;
    this.#flusher = new BatchFlusher(
      writer,
      recovered.index,
      recovered.cache,
      options.batchBytesMax,
      checkHardState(recovered.hardState, recovered.hardState),
    );
    this.#groupCommit = new GroupCommit<AppendRequest>(
      (requests, batchBytes) => this.#flush(requests, batchBytes),
      options,
    );
  }

  /**
   * Opens (or initialises) the log in `dir`: locks it, checks its identity, loads the newest
   * valid snapshot and recovers the segments (cutting a torn tail, refusing corruption).
   */
  static async open(dir: string, options: WalOptions): Promise<WriteAheadLog> {
    const resolved = resolveWalOptions(options);
    const prepared = await prepareDataDir(dir, resolved);
    let writer: SegmentWriter | undefined;
    try {
      const snapshots = await openSnapshots(
        resolved.fileSystem,
        prepared.snapDir,
        prepared.snapshotIndexes,
        {
          configBytesMax: resolved.snapshotConfigBytesMax,
          dataBytesMax: resolved.snapshotDataBytesMax,
        },
        resolved.log,
      );
      const meta = snapshots.meta;
      const recovered = await recoverLog({
        fs: resolved.fileSystem,
        walDir: prepared.walDir,
        seqs: prepared.seqs,
        snapshotIndex: meta?.index ?? 0,
        snapshotTerm: meta?.term ?? 0,
        limits: resolved,
        log: resolved.log,
      });
      writer = await SegmentWriter.open(
        resolved.fileSystem,
        prepared.walDir,
        resolved.segmentBytesMax,
        recovered.segments,
      );
      return new WriteAheadLog(
        resolved,
        prepared,
        recovered,
        writer,
        snapshots,
        recovered.tornTailCount,
      );
    } catch (error) {
      writer?.close();
      await prepared.lock.release();
      throw error;
    }
  }

  /** Who owns this data dir. */
  identity(): StoreIdentity {
    return { ...this.#dir.identity };
  }

  /** True when this `open()` initialised a fresh data dir. */
  wasCreated(): boolean {
    return this.#dir.created;
  }

  /** First live entry index (`snapshotIndex + 1`; > `lastIndex()` when the log is empty). */
  firstIndex(): number {
    return this.#index.firstIndex;
  }

  /** Last entry index (the snapshot index when no entry follows it; 0 for a new log). */
  lastIndex(): number {
    return this.#index.lastIndex;
  }

  /** Term of entry `index` (the snapshot's term at its index); undefined outside the log. */
  term(index: number): number | undefined {
    return this.#index.term(index);
  }

  /** The hard state of the latest accepted append. */
  hardState(): StoredHardState {
    return { ...this.#hardState };
  }

  /** Metadata of the latest snapshot, or null. */
  snapshotMeta(): SnapshotMeta | null {
    const meta = this.#snapshots.meta;
    return meta === null ? null : { ...meta };
  }

  /**
   * Appends entries and/or a hard state as one atomic record; resolves when it is durable.
   * Refusals (limits, rule violations, closed or failed log) reject without changing anything.
   */
  append(batch: AppendBatch): Promise<void> {
    try {
      this.#checkOpen("append");
      const request = this.#prepareAppend(batch);
      const bytes = request.update === null ? 0 : logUpdateRecordBytes(request.update);
      if (bytes > this.#options.recordBytesMax) {
        throw new StorageLimitError(
          `Cannot append: record of ${bytes} bytes exceeds maximum of ` +
            `${this.#options.recordBytesMax} bytes (recordBytesMax)`,
        );
      }
      const refusal = this.#groupCommit.refusal(bytes);
      if (refusal !== null) throw refusal;
      this.#applyAppend(request);
      return this.#groupCommit.submit(request, bytes);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Entries `fromIndex .. toIndexExclusive - 1`, stopping before `bytesMax` (data plus 12 bytes
   * per entry) is exceeded but always returning at least one entry when the range is not empty.
   * Cached entries need no I/O; older ones are read from their segments.
   */
  async entries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax: number = READ_BYTES_MAX_DEFAULT,
  ): Promise<LogRecordEntry[]> {
    const missing: DataLocation[] = [];
    const result = this.#collectEntries(fromIndex, toIndexExclusive, bytesMax, missing);
    if (missing.length > 0) {
      this.#diskReadCount += await readEntryData(
        this.#options.fileSystem,
        this.#dir.walDir,
        missing,
      );
    }
    return result;
  }

  /** Like `entries()` but synchronous: null when any requested entry is not cached. */
  cachedEntries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax: number = READ_BYTES_MAX_DEFAULT,
  ): LogRecordEntry[] | null {
    const missing: DataLocation[] = [];
    const result = this.#collectEntries(fromIndex, toIndexExclusive, bytesMax, missing);
    return missing.length > 0 ? null : result;
  }

  /**
   * Saves a snapshot covering the log up to `meta.index`: temp file, fsync, atomic rename,
   * directory fsync. Then drops covered entries, older snapshots and covered segments. When the
   * log holds a different term at `meta.index`, the conflicting suffix is durably truncated
   * first. One save at a time; appends touching entries up to `meta.index` are refused meanwhile.
   */
  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    try {
      this.#checkOpen("save snapshot");
      this.#checkSnapshot(meta, data);
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
    if (this.#closed) return Promise.reject(closedError("load snapshot"));
    return this.#snapshots.load();
  }

  /** Counters for monitoring (INFO persistence). */
  stats(): WalStats {
    const writer = this.#writer.stats;
    return {
      appendCount: this.#appendCount,
      batchCount: this.#groupCommit.flushCount,
      syncCount: writer.syncCount,
      dirSyncCount: writer.dirSyncCount,
      recordsWritten: this.#flusher.recordsWritten,
      bytesWritten: writer.bytesWritten,
      writeCount: writer.writeCount,
      pendingAppends: this.#groupCommit.pendingCount,
      pendingBytes: this.#groupCommit.pendingBytes,
      segmentCount: this.#writer.segments.length,
      segmentRollCount: writer.rollCount,
      segmentRemovedCount: writer.removedCount,
      cacheBytes: this.#cache.bytes,
      cacheEntryCount: this.#cache.entryCount,
      diskReadCount: this.#diskReadCount,
      firstIndex: this.#index.firstIndex,
      lastIndex: this.#index.lastIndex,
      snapshotIndex: this.#index.snapshotIndex,
      tornTailCount: this.#tornTailCount,
    };
  }

  /** Waits for pending appends and a snapshot save, then releases files and the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#groupCommit.whenIdle();
    await this.#savingSnapshot;
    this.#writer.close();
    await this.#dir.lock.release();
  }

  /** `await using wal = await WriteAheadLog.open(...)` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(action: string): void {
    if (this.#closed) throw closedError(action);
    const failure = this.#groupCommit.failure;
    if (failure !== null) throw failure;
  }

  #prepareAppend(batch: AppendBatch): AppendRequest {
    const entries = batch.entries !== undefined && batch.entries.length > 0 ? batch.entries : null;
    const hardState = batch.hardState === undefined
      ? null
      : checkHardState(batch.hardState, this.#hardState);
    if (entries === null && hardState === null) {
      return { update: null, firstEntryIndex: Infinity };
    }
    const index = this.#index;
    const truncateFromIndex = entries === null ? 0 : checkEntries(entries, {
      firstIndex: index.firstIndex,
      lastIndex: index.lastIndex,
      frozenThroughIndex: this.#savingSnapshotIndex,
      logEntriesMax: this.#options.logEntriesMax,
      term: (i) => index.term(i),
    });
    return {
      update: { hardState, truncateFromIndex, entries: entries === null ? null : [...entries] },
      firstEntryIndex: entries?.[0]?.index ?? Infinity,
    };
  }

  #applyAppend(request: AppendRequest): void {
    this.#appendCount += 1;
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
    this.#cache.evict(this.#options.cacheBytesMax, this.#unwrittenFromIndex);
  }

  #truncateMemory(fromIndex: number): void {
    this.#index.truncateFrom(fromIndex);
    this.#cache.truncateFrom(fromIndex);
  }

  /** Group commit flush; afterwards only still-queued entries must stay cached. */
  async #flush(requests: readonly AppendRequest[], batchBytes: number): Promise<void> {
    await this.#flusher.flush(requests, batchBytes);
    let unwrittenFromIndex = Infinity;
    this.#groupCommit.forEachQueued((request) => {
      unwrittenFromIndex = Math.min(unwrittenFromIndex, request.firstEntryIndex);
    });
    this.#unwrittenFromIndex = unwrittenFromIndex;
    this.#cache.evict(this.#options.cacheBytesMax, unwrittenFromIndex);
  }

  #collectEntries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax: number,
    missing: DataLocation[],
  ): LogRecordEntry[] {
    if (this.#closed) throw closedError("read entries");
    return collectEntries(this.#index, this.#cache, fromIndex, toIndexExclusive, bytesMax, missing);
  }

  #checkSnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    this.#snapshots.checkSave(meta, data);
    if (this.#savingSnapshotIndex > 0) {
      throw new InvalidLogRequestError(
        `Cannot save snapshot at index ${meta.index}: the snapshot at index ` +
          `${this.#savingSnapshotIndex} is still being saved`,
      );
    }
  }

  async #saveSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    const index = this.#index;
    const localTerm = index.term(meta.index);
    if (localTerm !== undefined && localTerm !== meta.term && meta.index < index.lastIndex) {
      // The log diverges from the snapshot: its suffix must not come back on replay.
      await this.#appendTruncation(meta.index + 1);
    }
    await this.#snapshots.save(meta, data);
    index.compactTo(meta.index, meta.term);
    this.#cache.dropBelow(meta.index + 1);
    await this.#snapshots.removeOlder();
    await this.#writer.removeCovered(meta.index);
  }

  #appendTruncation(fromIndex: number): Promise<void> {
    assert(fromIndex > this.#index.firstIndex, "snapshot truncation keeps the snapshot entry");
    const update: LogUpdate = { hardState: null, truncateFromIndex: fromIndex, entries: null };
    const bytes = logUpdateRecordBytes(update);
    const refusal = this.#groupCommit.refusal(bytes);
    if (refusal !== null) return Promise.reject(refusal);
    this.#truncateMemory(fromIndex);
    return this.#groupCommit.submit({ update, firstEntryIndex: Infinity }, bytes);
  }
}

function closedError(action: string): WalClosedError {
  return new WalClosedError(`Cannot ${action}: the write-ahead log is closed`);
}
