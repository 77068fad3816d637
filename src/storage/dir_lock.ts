/** An exclusive advisory lock on a data dir, so two processes never open the same log. */
import { DirectoryLockedError } from "./errors.ts";
import type { FileLock, FileSystem } from "./file_system.ts";

/** Name of the lock file inside the data dir. */
export const LOCK_FILE_NAME = "LOCK";

/** A held lock; `release()` it when done. */
export class DirLock {
  readonly #lock: FileLock;

  private constructor(lock: FileLock) {
    this.#lock = lock;
  }

  /** Takes the lock of `dataDir` without waiting; throws `DirectoryLockedError` when held. */
  static async acquire(fs: FileSystem, dataDir: string): Promise<DirLock> {
    const path = `${dataDir}/${LOCK_FILE_NAME}`;
    const lock = await fs.tryLock(path);
    if (lock === null) {
      throw new DirectoryLockedError(
        `Cannot open data dir ${dataDir}: ${path} is locked by another process or another ` +
          `open log; only one node may use a data dir`,
      );
    }
    return new DirLock(lock);
  }

  /** Releases the lock (idempotent). */
  release(): Promise<void> {
    return this.#lock.release();
  }
}
