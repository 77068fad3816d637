/** The snapshots of a data dir: the newest valid one is current; older ones are removed. */
import { CorruptSnapshotError, InvalidLogRequestError, StorageLimitError } from "./errors.ts";
import type { FileSystem } from "./file_system.ts";
import type { WalLog } from "./options.ts";
import {
  readSnapshotFile,
  snapshotFileName,
  snapshotIndexes,
  type SnapshotLimits,
  writeSnapshotFile,
} from "./snapshot_file.ts";
import type { SnapshotMeta, StoredSnapshot } from "./types.ts";

/** Reads of `load()` retried when a newer snapshot replaced the file being read. */
const LOAD_ATTEMPTS_MAX = 3;

/** Finds the newest valid snapshot among `indexes` (newest first); damaged ones are skipped. */
export async function openSnapshots(
  fs: FileSystem,
  snapDir: string,
  indexes: readonly number[],
  limits: SnapshotLimits,
  log: WalLog,
): Promise<SnapshotStore> {
  for (const index of indexes) {
    const path = `${snapDir}/${snapshotFileName(index)}`;
    try {
      const snapshot = await readSnapshotFile(fs, path, limits);
      if (snapshot.index !== index) {
        throw new CorruptSnapshotError(path, `header names index ${snapshot.index}`);
      }
      return new SnapshotStore(fs, snapDir, limits, snapshot);
    } catch (error) {
      if (!(error instanceof CorruptSnapshotError)) throw error;
      log.warn("Ignoring damaged snapshot; an older one or the log must cover it", {
        file: path,
        reason: error.message,
      });
    }
  }
  return new SnapshotStore(fs, snapDir, limits, null);
}

/** Saves, loads and prunes the snapshot files of one data dir. */
export class SnapshotStore {
  readonly #fs: FileSystem;
  readonly #snapDir: string;
  readonly #limits: SnapshotLimits;
  /** Metadata of the current snapshot, or null. */
  #meta: SnapshotMeta | null;
  /** The snapshot verified at open, handed to the first `load()` (start-up reads it once). */
  #openedSnapshot: StoredSnapshot | null;

  /** Use `openSnapshots`. */
  constructor(
    fs: FileSystem,
    snapDir: string,
    limits: SnapshotLimits,
    opened: StoredSnapshot | null,
  ) {
    this.#fs = fs;
    this.#snapDir = snapDir;
    this.#limits = limits;
    this.#meta = opened === null
      ? null
      : { index: opened.index, term: opened.term, config: opened.config };
    this.#openedSnapshot = opened;
  }

  /** Metadata of the current snapshot, or null. */
  get meta(): SnapshotMeta | null {
    return this.#meta;
  }

  /** Throws when `meta` and `data` may not be saved: malformed, too large, or not newer. */
  checkSave(meta: SnapshotMeta, data: Uint8Array): void {
    if (!Number.isSafeInteger(meta.index) || meta.index < 1) {
      throw new InvalidLogRequestError(`Cannot save snapshot: index ${meta.index} is not >= 1`);
    }
    if (!Number.isSafeInteger(meta.term) || meta.term < 0) {
      throw new InvalidLogRequestError(`Cannot save snapshot: term ${meta.term} is not >= 0`);
    }
    if (!(meta.config instanceof Uint8Array) || !(data instanceof Uint8Array)) {
      throw new InvalidLogRequestError("Cannot save snapshot: config and data must be bytes");
    }
    const currentIndex = this.#meta?.index ?? 0;
    if (meta.index <= currentIndex) {
      throw new InvalidLogRequestError(
        `Cannot save snapshot at index ${meta.index}: not newer than the snapshot at index ` +
          `${currentIndex}`,
      );
    }
    this.#checkLimits(meta.config.length, data.length);
  }

  #checkLimits(configBytes: number, dataBytes: number): void {
    const limits = this.#limits;
    if (configBytes > limits.configBytesMax) {
      throw new StorageLimitError(
        `Cannot save snapshot: config of ${configBytes} bytes exceeds maximum of ` +
          `${limits.configBytesMax} bytes (snapshotConfigBytesMax)`,
      );
    }
    if (dataBytes > limits.dataBytesMax) {
      throw new StorageLimitError(
        `Cannot save snapshot: data of ${dataBytes} bytes exceeds maximum of ` +
          `${limits.dataBytesMax} bytes (snapshotDataBytesMax)`,
      );
    }
  }

  /** Writes the snapshot durably and makes it current. */
  async save(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    await writeSnapshotFile(this.#fs, this.#snapDir, meta, data);
    this.#openedSnapshot = null;
    this.#meta = { index: meta.index, term: meta.term, config: meta.config.slice() };
  }

  /** Removes every snapshot file older than the current one. */
  async removeOlder(): Promise<void> {
    const current = this.#meta?.index ?? 0;
    const fs = this.#fs;
    const older = snapshotIndexes(await fs.list(this.#snapDir)).filter((i) => i < current);
    for (const index of older) await fs.remove(`${this.#snapDir}/${snapshotFileName(index)}`);
    if (older.length > 0) await fs.syncDir(this.#snapDir);
  }

  /**
   * Reads and verifies the current snapshot; null when there is none. A newer snapshot saved
   * during the read may remove the file being read: then the newer one is read instead.
   */
  async load(): Promise<StoredSnapshot | null> {
    const opened = this.#openedSnapshot;
    if (opened !== null) {
      this.#openedSnapshot = null;
      return opened;
    }
    for (let attempt = 1;; attempt++) {
      const meta = this.#meta;
      if (meta === null) return null;
      const path = `${this.#snapDir}/${snapshotFileName(meta.index)}`;
      try {
        const snapshot = await readSnapshotFile(this.#fs, path, this.#limits);
        if (snapshot.index !== meta.index || snapshot.term !== meta.term) {
          throw new CorruptSnapshotError(path, `header names index ${snapshot.index}`);
        }
        return snapshot;
      } catch (error) {
        const replaced = this.#meta !== meta;
        if (!(error instanceof Deno.errors.NotFound) || !replaced || attempt >= LOAD_ATTEMPTS_MAX) {
          throw error;
        }
      }
    }
  }
}
