/**
 * The file layer storage writes through: every open, write, read, sync, truncate, rename,
 * removal, listing and directory sync of the log and the snapshots goes through a
 * `FileSystem`, so tests can substitute a simulated disk that loses what was not synced.
 */

/** How a file is opened: read only, read-write (must exist), or read-write newly created. */
export type OpenMode = "read" | "write" | "createNew";

/** An open file. Writes and reads are positional; nothing is durable before `sync()`. */
export interface StorageFile {
  /** Writes all of `bytes` starting at byte `offset`. */
  write(bytes: Uint8Array, offset: number): Promise<void>;
  /** Fills `target` from byte `offset`; returns the bytes read (fewer only at end of file). */
  read(offset: number, target: Uint8Array): Promise<number>;
  /** Makes the written data and the size durable (fdatasync). */
  sync(): Promise<void>;
  /** Cuts or extends the file to `sizeBytes`. */
  truncate(sizeBytes: number): Promise<void>;
  /** Closes the handle. */
  close(): void;
}

/** A held exclusive lock on a file; `release()` it when done. */
export interface FileLock {
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

/**
 * Directory and file operations. A missing file or directory throws `Deno.errors.NotFound`,
 * an existing one on `createNew` throws `Deno.errors.AlreadyExists`. Creations, renames and
 * removals are durable only after `syncDir` of the directory holding them.
 */
export interface FileSystem {
  /** Opens `path` in `mode`. */
  open(path: string, mode: OpenMode): Promise<StorageFile>;
  /** The whole content of `path`. */
  readFile(path: string): Promise<Uint8Array>;
  /** Size of the file `path` in bytes (some size for a directory), or null when missing. */
  size(path: string): Promise<number | null>;
  /** Renames `from` to `to`, replacing `to` atomically. */
  rename(from: string, to: string): Promise<void>;
  /** Removes the file or empty directory `path`. */
  remove(path: string): Promise<void>;
  /** Names in `dir`, sorted; empty when `dir` does not exist. */
  list(dir: string): Promise<string[]>;
  /** Creates `dir` and missing parents (no error when it exists). */
  mkdir(dir: string): Promise<void>;
  /** Makes the entries of `dir` durable (creations, renames, removals). */
  syncDir(dir: string): Promise<void>;
  /** The absolute, resolved form of the existing `path`. */
  realPath(path: string): Promise<string>;
  /** Takes an exclusive lock on `path` (created if missing) without waiting; null when held. */
  tryLock(path: string): Promise<FileLock | null>;
}
