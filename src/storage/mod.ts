/**
 * Durable Raft storage: one segmented write-ahead log per node shared by every Raft group, with
 * group commit, snapshot files, crash recovery, data-dir identity and locking. See docs/storage.md.
 *
 * @module
 */
export { type GroupAppend, NodeLog } from "./node_log.ts";
export type { AppendBatch, GroupLog, RaftLogStore } from "./group_log.ts";
export type { NodeLogOptions } from "./node_log_options.ts";
export type { NodeLogStats } from "./node_log_stats.ts";
export type { DiskState } from "./disk_space.ts";
export type { FileLock, FileSystem, OpenMode, StorageFile } from "./file_system.ts";
export type { WalLog, WalOptions } from "./options.ts";
export type {
  LogRecordEntry,
  SnapshotMeta,
  StoredHardState,
  StoredSnapshot,
  StoreIdentity,
} from "./types.ts";
export {
  CorruptLogError,
  CorruptSnapshotError,
  DirectoryLockedError,
  IdentityError,
  InvalidLogRequestError,
  isNoSpaceError,
  LogCompactedError,
  StorageError,
  StorageLimitError,
  WalClosedError,
  WalFailedError,
} from "./errors.ts";
export { crc32c } from "./crc32.ts";
export * from "./limits.ts";
