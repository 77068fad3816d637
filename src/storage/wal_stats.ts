/** Counters of a `WriteAheadLog`, for monitoring (e.g. the INFO persistence section). */
export interface WalStats {
  /** Accepted `append()` calls. */
  appendCount: number;
  /** Group commit flushes (each covers one or more appends). */
  batchCount: number;
  /** fdatasync calls on segment files. */
  syncCount: number;
  /** fsync calls on directories (segment created or removed). */
  dirSyncCount: number;
  /** Records written (log updates plus segment prologues). */
  recordsWritten: number;
  /** Bytes written to segment files. */
  bytesWritten: number;
  /** Write calls on segment files (one per non-empty batch). */
  writeCount: number;
  /** Appends queued or in flight. */
  pendingAppends: number;
  /** Encoded bytes of appends queued or in flight. */
  pendingBytes: number;
  /** Segment files currently in the log. */
  segmentCount: number;
  /** Segments started because the previous one was full. */
  segmentRollCount: number;
  /** Segments removed because a snapshot covered them. */
  segmentRemovedCount: number;
  /** Bytes of entry data held in memory. */
  cacheBytes: number;
  /** Entries whose data is held in memory. */
  cacheEntryCount: number;
  /** Read calls on segment files made by `entries()`. */
  diskReadCount: number;
  /** First live entry index. */
  firstIndex: number;
  /** Last entry index. */
  lastIndex: number;
  /** Index covered by the latest snapshot (0 = none). */
  snapshotIndex: number;
  /** Torn tails cut during recovery at open (0 or 1). */
  tornTailCount: number;
}
