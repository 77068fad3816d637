/** Errors raised by the storage layer; every message names what failed and why. */

/** Base class of every storage error, so a host can catch them as one family. */
export class StorageError extends Error {
  override name = "StorageError";
}

/**
 * The log holds damaged data that is not a torn tail: records may have been acknowledged, so
 * recovery stops instead of dropping them. The operator must restore the node's disk or
 * replace the node (see docs/storage.md).
 */
export class CorruptLogError extends StorageError {
  override name = "CorruptLogError";
  /** Path of the damaged segment file. */
  readonly file: string;
  /** Byte offset of the damaged record within `file`. */
  readonly offset: number;

  /** `reason` says what is wrong, e.g. `body checksum mismatch`. */
  constructor(file: string, offset: number, reason: string) {
    super(`Cannot recover log: ${reason} in ${file} at offset ${offset}`);
    this.file = file;
    this.offset = offset;
  }
}

/** A snapshot file failed verification (bad magic, size or checksum). */
export class CorruptSnapshotError extends StorageError {
  override name = "CorruptSnapshotError";
  /** Path of the damaged snapshot file. */
  readonly file: string;

  /** `reason` says what is wrong. */
  constructor(file: string, reason: string) {
    super(`Cannot load snapshot: ${reason} in ${file}`);
    this.file = file;
  }
}

/** A named limit was exceeded; the request was refused and nothing was changed. */
export class StorageLimitError extends StorageError {
  override name = "StorageLimitError";
}

/** A request broke the log's rules (index gap, term regression, ...); nothing was changed. */
export class InvalidLogRequestError extends StorageError {
  override name = "InvalidLogRequestError";
}

/** A read asked for entries that a snapshot has already replaced. */
export class LogCompactedError extends StorageError {
  override name = "LogCompactedError";
}

/** Another process (or another `NodeLog` in this process) holds the data dir. */
export class DirectoryLockedError extends StorageError {
  override name = "DirectoryLockedError";
}

/**
 * The data dir belongs to another node or cluster, lost its log, or lacks data the caller
 * expects: starting would let the node vote as if it had never voted.
 */
export class IdentityError extends StorageError {
  override name = "IdentityError";
}

/** The log was closed; no further requests are accepted. */
export class WalClosedError extends StorageError {
  override name = "WalClosedError";
}

/**
 * A write or fdatasync failed with an error other than a full disk (or the log was closed while
 * a batch waited for space). The log refuses all further requests: the host must stop and
 * restart (which runs recovery).
 */
export class WalFailedError extends StorageError {
  override name = "WalFailedError";
}

/**
 * True when `error` is the operating system's "no space left on device" (ENOSPC), from a write,
 * an fdatasync or a file creation. The node log treats it as a passing condition, not a failure.
 */
export function isNoSpaceError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as Error & { code?: unknown }).code === "ENOSPC") return true;
  return /\(os error 28\)/.test(error.message);
}
