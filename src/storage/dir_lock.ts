/** An exclusive advisory lock on a data dir, so two processes never open the same log. */
import { DirectoryLockedError } from "./errors.ts";

/** Name of the lock file inside the data dir. */
export const LOCK_FILE_NAME = "LOCK";

/** A held lock; `release()` it when done. */
export class DirLock {
  #file: Deno.FsFile | null;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Takes the lock of `dataDir` without waiting; throws `DirectoryLockedError` when held. */
  static async acquire(dataDir: string): Promise<DirLock> {
    const path = `${dataDir}/${LOCK_FILE_NAME}`;
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let locked = false;
    try {
      locked = await file.tryLock(true);
    } finally {
      if (!locked) file.close();
    }
    if (!locked) {
      throw new DirectoryLockedError(
        `Cannot open data dir ${dataDir}: ${path} is locked by another process or another ` +
          `open log; only one node may use a data dir`,
      );
    }
    return new DirLock(file);
  }

  /** Releases the lock (idempotent). */
  async release(): Promise<void> {
    const file = this.#file;
    if (file === null) return;
    this.#file = null;
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  }
}
