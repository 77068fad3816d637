/** Counters of a `NodeLog`, for monitoring. */
export interface NodeLogStats {
  /** Records submitted (appends of all groups, snapshot and removal records, barriers). */
  appendCount: number;
  /** Group commit flushes (each one write + one fdatasync covering many records). */
  batchCount: number;
  /** fdatasync calls on segment files. */
  syncCount: number;
  /** fsync calls on the wal directory (segment created or removed). */
  dirSyncCount: number;
  /** Records written (group records plus segment prologues). */
  recordsWritten: number;
  /** Bytes written to segment files. */
  bytesWritten: number;
  /** Write calls on segment files. */
  writeCount: number;
  /** Records queued or in flight. */
  pendingAppends: number;
  /** Encoded bytes queued or in flight. */
  pendingBytes: number;
  /** Segment files. */
  segmentCount: number;
  /** Segments started because the current one was full. */
  segmentRollCount: number;
  /** Segments deleted because no group needed them. */
  segmentRemovedCount: number;
  /** Groups held. */
  groupCount: number;
  /** Entry data cached in memory, all groups. */
  cacheBytes: number;
  /** Read calls for uncached entries. */
  diskReadCount: number;
  /** Torn tails cut at open (0 or 1). */
  tornTailCount: number;
  /** Groups whose live entries compaction rewrote to free old segments. */
  rewriteCount: number;
  /** Failed batches cut back to the synced end of their segment (written again or failed). */
  cutBackCount: number;
  /** Batches written again after the disk was full. */
  noSpaceRetryCount: number;
}
