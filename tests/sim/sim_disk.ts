import type { FileLock, FileSystem, OpenMode, StorageFile } from "../../src/storage/file_system.ts";
import { SimFileSystem } from "../storage/sim_file_system.ts";

/**
 * One simulated node's disk: the storage tests' `SimFileSystem` (a page cache that loses
 * unsynced pages on power loss), with every file and directory sync held until the simulator's
 * next sync event for the node (`syncAll`). So the production node log runs unchanged on it,
 * and when an fsync completes is a seeded event of the simulation, like any message.
 */
export class SimDisk implements FileSystem {
  readonly #fs = new SimFileSystem();
  readonly #requestSync: () => void;
  /** Syncs waiting for the next sync event. */
  #waiting: (() => void)[] = [];
  /** While false (opening the log on restart), syncs complete at once. */
  gated = false;

  /** `requestSync` asks the simulator for a sync event (one covers every waiting sync). */
  constructor(requestSync: () => void) {
    this.#requestSync = requestSync;
  }

  /** The sync event: every waiting file and directory sync runs and completes. */
  syncAll(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const run of waiting) run();
  }

  /** Power loss: waiting syncs never complete; each unsynced page survives or not. */
  crash(random: () => number): void {
    this.#waiting = [];
    this.#fs.crash(random);
  }

  /** Runs `sync` now, or at the next sync event while gated. */
  gate(sync: () => Promise<void>): Promise<void> {
    if (!this.gated) return sync();
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push(() => void sync().then(resolve, reject));
      this.#requestSync();
    });
  }

  async open(path: string, mode: OpenMode): Promise<StorageFile> {
    const file = await this.#fs.open(path, mode);
    return {
      write: (bytes, offset) => file.write(bytes, offset),
      read: (offset, target) => file.read(offset, target),
      sync: () => this.gate(() => file.sync()),
      truncate: (sizeBytes) => file.truncate(sizeBytes),
      close: () => file.close(),
    };
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.#fs.readFile(path);
  }

  size(path: string): Promise<number | null> {
    return this.#fs.size(path);
  }

  rename(from: string, to: string): Promise<void> {
    return this.#fs.rename(from, to);
  }

  remove(path: string): Promise<void> {
    return this.#fs.remove(path);
  }

  list(dir: string): Promise<string[]> {
    return this.#fs.list(dir);
  }

  mkdir(dir: string): Promise<void> {
    return this.#fs.mkdir(dir);
  }

  syncDir(dir: string): Promise<void> {
    return this.gate(() => this.#fs.syncDir(dir));
  }

  realPath(path: string): Promise<string> {
    return this.#fs.realPath(path);
  }

  tryLock(path: string): Promise<FileLock | null> {
    return this.#fs.tryLock(path);
  }
}
