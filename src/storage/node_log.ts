/**
 * `NodeLog`: one write-ahead log per node, shared by every Raft group on it. Records carry their
 * group id; the appends of all groups queued while a flush runs go out together in one write
 * and one fdatasync (one Ready round of every group, or any concurrent callers). Each group has
 * a `GroupLog` view with the single-group semantics, its own snapshots and truncation; segments
 * are deleted once no group needs them; a removed group leaves nothing behind once the segments
 * holding its records are gone. Recovery rebuilds every group. See docs/storage.md.
 */
import { checkHardState } from "./append_check.ts";
import { prepareDataDir, type PreparedDataDir } from "./data_dir.ts";
import { DiskSpace, type DiskState } from "./disk_space.ts";
import { EntryIndex } from "./entry_index.ts";
import { type DataLocation, readEntryData } from "./entry_reader.ts";
import { InvalidLogRequestError, StorageLimitError, WalClosedError } from "./errors.ts";
import { GroupCommit } from "./group_commit.ts";
import { type AppendBatch, GroupLog, type GroupLogHost, type GroupRequest } from "./group_log.ts";
import { GROUP_ID_MAX, type GroupUpdate, groupUpdateRecordBytes } from "./group_record.ts";
import { KIB } from "./limits.ts";
import { type EncodedGroupState, NodeFlusher } from "./node_flusher.ts";
import { type NodeSnapshots, openGroupSnapshots } from "./node_snapshots.ts";
import { NodeReplay } from "./node_replay.ts";
import {
  type NodeLogOptions,
  type ResolvedNodeLogOptions,
  resolveNodeLogOptions,
} from "./node_log_options.ts";
import { scanSegments } from "./recovery.ts";
import { SegmentWriter } from "./segment_writer.ts";
import type { StoreIdentity } from "./types.ts";
import type { NodeLogStats } from "./node_log_stats.ts";

/** `compact()` rewrites pinning groups only while at least this many segments exist. */
const REWRITE_SEGMENTS_MIN = 3;
/** Oldest segments `compact()` tries to free by rewriting, per call. */
const REWRITE_ROUNDS_MAX = 4;
/** Smallest share of the node's cache a group keeps, in bytes. */
export const GROUP_CACHE_BYTES_MIN = 64 * KIB;

/** One group's part of an `appendRound`. */
export interface GroupAppend extends AppendBatch {
  /** The group (u32). */
  groupId: number;
}

/** The shared write-ahead log of one node. */
export class NodeLog implements GroupLogHost {
  readonly #options: ResolvedNodeLogOptions;
  readonly #dir: PreparedDataDir;
  readonly #writer: SegmentWriter;
  readonly #snapshots: NodeSnapshots;
  readonly #groups = new Map<number, GroupLog>();
  /** Groups whose removal is being made durable (their id may not be reused meanwhile). */
  readonly #removing = new Set<number>();
  readonly #flusher: NodeFlusher;
  readonly #groupCommit: GroupCommit<GroupRequest>;
  readonly #tornTailCount: number;
  readonly #disk: DiskSpace;
  #closed = false;
  #appendCount = 0;
  #diskReadCount = 0;
  /** Groups whose live entries were rewritten by `compact()`. */
  #rewriteCount = 0;

  private constructor(
    options: ResolvedNodeLogOptions,
    dir: PreparedDataDir,
    writer: SegmentWriter,
    snapshots: NodeSnapshots,
    replay: NodeReplay,
    tornTailCount: number,
    disk: DiskSpace,
  ) {
    this.#options = options;
    this.#dir = dir;
    this.#disk = disk;
    this.#writer = writer;
    this.#snapshots = snapshots;
    this.#tornTailCount = tornTailCount;
    const table = new Map<number, EncodedGroupState>();
    for (const [groupId, replayed] of replay.groups) {
      const group = new GroupLog(groupId, this, replayed, snapshots.store(groupId));
      this.#groups.set(groupId, group);
      const index = replayed.index;
      table.set(groupId, {
        hardState: checkHardState(replayed.hardState, replayed.hardState),
        snapshot: index.snapshotIndex > 0
          ? { index: index.snapshotIndex, term: index.snapshotTerm }
          : null,
      });
    }
    this.#flusher = new NodeFlusher(
      writer,
      options.batchBytesMax + options.prologueBytesMax,
      table,
    );
    this.#groupCommit = new GroupCommit<GroupRequest>(
      (requests, batchBytes) => this.#flush(requests, batchBytes),
      options,
      (error) => disk.noSpace(error),
    );
  }

  /**
   * Opens (or initialises) the node log in `dir`: locks it, checks its identity, loads each
   * group's newest valid snapshot, recovers the segments (cutting a torn tail, refusing
   * corruption) and rebuilds every group.
   */
  static async open(dir: string, options: NodeLogOptions): Promise<NodeLog> {
    const resolved = resolveNodeLogOptions(options);
    const prepared = await prepareDataDir(dir, resolved);
    let writer: SegmentWriter | undefined;
    try {
      const fs = resolved.fileSystem;
      const replay = new NodeReplay(resolved);
      const scanned = await scanSegments(
        { fs, walDir: prepared.walDir, seqs: prepared.seqs, log: resolved.log },
        replay,
      );
      const snapshots = await openGroupSnapshots(fs, prepared.snapDir, replay, resolved);
      writer = await SegmentWriter.open(
        fs,
        prepared.walDir,
        resolved.segmentBytesMax,
        scanned.segments,
      );
      const disk = await DiskSpace.open({
        fs,
        dir,
        reserveBytes: resolved.diskReserveBytes,
        probeIntervalMs: resolved.diskProbeIntervalMs,
        log: resolved.log,
      });
      return new NodeLog(
        resolved,
        prepared,
        writer,
        snapshots,
        replay,
        scanned.tornTailCount,
        disk,
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

  /** Ids of the groups the log holds, ascending. */
  groupIds(): number[] {
    return [...this.#groups.keys()].sort((a, b) => a - b);
  }

  /** True when the log holds `groupId`. */
  hasGroup(groupId: number): boolean {
    return this.#groups.has(groupId);
  }

  /**
   * The view of `groupId`, added (empty, nothing written yet) when the log does not hold it.
   * Refused while the group's removal is in progress or when `groupsMax` groups exist.
   */
  group(groupId: number): GroupLog {
    this.checkOpen("open group");
    const existing = this.#groups.get(groupId);
    if (existing !== undefined) return existing;
    if (!Number.isSafeInteger(groupId) || groupId < 0 || groupId > GROUP_ID_MAX) {
      throw new InvalidLogRequestError(`Cannot add group ${groupId}: ids are 0..${GROUP_ID_MAX}`);
    }
    if (this.#removing.has(groupId)) {
      throw new InvalidLogRequestError(`Cannot add group ${groupId}: its removal is in progress`);
    }
    if (this.#groups.size >= this.#options.groupsMax) {
      throw new StorageLimitError(
        `Cannot add group ${groupId}: the node log holds ${this.#groups.size} groups, maximum ` +
          `is ${this.#options.groupsMax} (groupsMax)`,
      );
    }
    const group = new GroupLog(
      groupId,
      this,
      { index: new EntryIndex(0, 0), hardState: { term: 0, votedFor: null, commitIndex: 0 } },
      this.#snapshots.store(groupId),
    );
    this.#groups.set(groupId, group);
    return group;
  }

  /**
   * Appends one Ready round of several groups (at most one part per group): every part is
   * checked before any is applied, then all are queued together, so they share one write and
   * one fdatasync unless they exceed `batchBytesMax`. Resolves when all are durable.
   */
  appendRound(parts: readonly GroupAppend[]): Promise<void> {
    try {
      this.checkOpen("append");
      const seen = new Set<number>();
      const prepared: { request: GroupRequest; bytes: number }[] = [];
      let totalBytes = 0;
      for (const part of parts) {
        if (seen.has(part.groupId)) {
          throw new InvalidLogRequestError(
            `Cannot append round: group ${part.groupId} appears twice`,
          );
        }
        seen.add(part.groupId);
        const one = this.group(part.groupId).prepareAppend(part);
        if (one === null) continue;
        prepared.push(one);
        totalBytes += one.bytes;
      }
      this.#checkRound(prepared.length, totalBytes);
      const durable: Promise<void>[] = [];
      for (const { request, bytes } of prepared) {
        request.group!.applyAppend(request);
        durable.push(this.submit(request, bytes));
      }
      return Promise.all(durable).then(() => {});
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Removes `groupId` from the node: a durable removal record, then its snapshot files. Its
   * records disappear from disk once the segments holding them are no longer needed by any
   * other group (`compact()`, also run after every snapshot). No-op for an unknown group.
   */
  async removeGroup(groupId: number): Promise<void> {
    this.checkOpen("remove group");
    const group = this.#groups.get(groupId);
    if (group === undefined) return;
    this.#removing.add(groupId);
    try {
      await group.markRemoved();
      const update: GroupUpdate = {
        groupId,
        hardState: null,
        truncateFromIndex: 0,
        entries: null,
        snapshot: null,
        removed: true,
      };
      const bytes = groupUpdateRecordBytes(update);
      const refusal = this.refusal(bytes);
      if (refusal !== null) throw refusal;
      await this.submit({ group, update, firstEntryIndex: Infinity }, bytes);
      // Only now: until the removal is durable, compaction must keep the group's segments.
      this.#groups.delete(groupId);
      await this.#snapshots.removeGroup(groupId);
    } finally {
      this.#removing.delete(groupId);
    }
    await this.compact();
  }

  /**
   * Deletes the oldest segments no live group needs (a group needs the segment of its first
   * live entry and every later one). When more than `REWRITE_SEGMENTS_MIN` segments remain,
   * the groups pinning the oldest one with little live data (at most `recordBytesMax`) have
   * their live entries rewritten into the current segment first, so one quiet group does not
   * keep every later segment alive. Returns the number of segments deleted.
   */
  async compact(): Promise<number> {
    let removed = await this.#removeUnneeded();
    for (let round = 0; round < REWRITE_ROUNDS_MAX; round++) {
      const segments = this.#writer.segments;
      if (segments.length < REWRITE_SEGMENTS_MIN) break;
      const oldest = segments[0]!.seq;
      let rewritten = 0;
      for (const group of [...this.#groups.values()]) {
        if (this.#oldestNeededSeq(group) !== oldest) continue;
        if (await group.rewrite(this.#options.recordBytesMax)) rewritten += 1;
      }
      if (rewritten === 0) break;
      this.#rewriteCount += rewritten;
      const count = await this.#removeUnneeded();
      if (count === 0) break;
      removed += count;
    }
    return removed;
  }

  #removeUnneeded(): Promise<number> {
    return this.#writer.removeLeading((segment) => {
      for (const group of this.#groups.values()) {
        if (this.#oldestNeededSeq(group) <= segment.seq) return false;
      }
      return true;
    });
  }

  /** Oldest segment holding a live entry of `group` (Infinity when none is written). */
  #oldestNeededSeq(group: GroupLog): number {
    const index = group.entryIndex;
    if (index.lastIndex < index.firstIndex) return Infinity;
    const seq = index.segmentSeq(index.firstIndex);
    return seq === 0 ? Infinity : seq;
  }

  /** Counters for monitoring. */
  stats(): NodeLogStats {
    const writer = this.#writer.stats;
    let cacheBytes = 0;
    for (const group of this.#groups.values()) cacheBytes += group.cacheBytes;
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
      groupCount: this.#groups.size,
      cacheBytes,
      diskReadCount: this.#diskReadCount,
      tornTailCount: this.#tornTailCount,
      rewriteCount: this.#rewriteCount,
      cutBackCount: writer.cutBackCount,
      noSpaceRetryCount: this.#groupCommit.noSpaceRetryCount,
    };
  }

  /**
   * True while the disk is full: writes still complete from the reserve's room (or wait for
   * room), but the host should refuse new client writes. See disk_space.ts.
   */
  get diskFull(): boolean {
    return this.#disk.full;
  }

  /** The full-disk state, for INFO, /health and metrics. */
  diskState(): DiskState {
    return this.#disk.state();
  }

  /**
   * Waits for pending appends, then releases files and the lock. A batch waiting for room on a
   * full disk is given up (it fails, nothing of it was acknowledged).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const diskClosed = this.#disk.close();
    await this.#groupCommit.whenIdle();
    for (const group of this.#groups.values()) await group.snapshotSaved();
    await this.#groupCommit.whenIdle();
    await diskClosed;
    this.#writer.close();
    await this.#dir.lock.release();
  }

  /** `await using log = await NodeLog.open(...)` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // GroupLogHost: what the group views call.

  /** Live entries per group. */
  get logEntriesMax(): number {
    return this.#options.logEntriesMax;
  }

  /** Largest record. */
  get recordBytesMax(): number {
    return this.#options.recordBytesMax;
  }

  /** Throws when closed or failed. */
  checkOpen(action: string): void {
    if (this.#closed) {
      throw new WalClosedError(`Cannot ${action}: the node log is closed`);
    }
    const failure = this.#groupCommit.failure;
    if (failure !== null) throw failure;
  }

  /** Why a record of `bytes` would be refused now, or null. */
  refusal(bytes: number): Error | null {
    return this.#groupCommit.refusal(bytes);
  }

  /** Queues a checked record. */
  submit(request: GroupRequest, bytes: number): Promise<void> {
    this.#appendCount += 1;
    return this.#groupCommit.submit(request, bytes);
  }

  /** Resolves when everything queued so far is durable. */
  submitBarrier(): Promise<void> {
    this.checkOpen("append");
    const refusal = this.refusal(0);
    if (refusal !== null) return Promise.reject(refusal);
    return this.submit({ group: null, update: null, firstEntryIndex: Infinity }, 0);
  }

  /** Reads uncached entry data. */
  async read(missing: DataLocation[]): Promise<void> {
    this.#diskReadCount += await readEntryData(
      this.#options.fileSystem,
      this.#dir.walDir,
      missing,
    );
  }

  /** A group's share of the node's cache. */
  cacheBytesMax(): number {
    const share = Math.floor(this.#options.cacheBytesMax / Math.max(1, this.#groups.size));
    return Math.max(GROUP_CACHE_BYTES_MIN, share);
  }

  /** Creates the group's snapshot directory durably before its first snapshot. */
  prepareSnapshot(group: GroupLog): Promise<void> {
    return this.#snapshots.ensureDir(group.groupId);
  }

  /** After a group's snapshot: remove its older snapshot files and unneeded segments. */
  async afterSnapshot(group: GroupLog): Promise<void> {
    await group.snapshots.removeOlder();
    await this.compact();
  }

  #checkRound(count: number, bytes: number): void {
    const refusal = this.refusal(0);
    if (refusal !== null) throw refusal;
    const pending = this.#groupCommit.pendingCount;
    const pendingBytes = this.#groupCommit.pendingBytes;
    if (
      pending + count > this.#options.pendingAppendsMax ||
      pendingBytes + bytes > this.#options.pendingBytesMax
    ) {
      throw new StorageLimitError(
        `Cannot append round of ${count} records, ${bytes} bytes: ${pending} appends and ` +
          `${pendingBytes} bytes pending, maximum ${this.#options.pendingAppendsMax} appends and ` +
          `${this.#options.pendingBytesMax} bytes; wait for earlier appends to finish`,
      );
    }
  }

  async #flush(requests: readonly GroupRequest[], batchBytes: number): Promise<void> {
    await this.#flusher.flush(requests, batchBytes);
    this.#disk.flushed();
    const unwritten = new Map<number, number>();
    this.#groupCommit.forEachQueued((request) => {
      const groupId = request.group?.groupId;
      if (groupId === undefined) return;
      unwritten.set(groupId, Math.min(unwritten.get(groupId) ?? Infinity, request.firstEntryIndex));
    });
    for (const request of requests) {
      const group = request.group;
      if (group === null || group.removed) continue;
      group.written(unwritten.get(group.groupId) ?? Infinity);
    }
  }
}
