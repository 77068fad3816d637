/**
 * What the node log does about a full disk. A reserve file of `reserveBytes` zeros is kept in
 * the data dir; when a batch fails with ENOSPC the reserve is deleted and the batch written
 * again at once, so the write that found the disk full still completes, and the log reports
 * itself full (the host then refuses new writes). While full, a probe tries every
 * `probeIntervalMs` to write the reserve again; once that succeeds the disk has room and the
 * log is no longer full. Without a reserve (or once it is used up) a failed batch waits and is
 * written again every `probeIntervalMs` until it fits: nothing is acknowledged before it is
 * durable, and nothing needs a restart. See docs/storage.md.
 */
import { isNoSpaceError } from "./errors.ts";
import { removeIfExists } from "./file_io.ts";
import type { FileSystem } from "./file_system.ts";
import type { WalLog } from "./options.ts";

/** Name of the reserve file in the node log's directory. */
export const RESERVE_FILE_NAME = "RESERVE";
/** Zeros written per call when filling the reserve. */
const RESERVE_CHUNK_BYTES = 64 * 1024;

/** The disk state as INFO, /health and the metrics show it. */
export interface DiskState {
  /** True while the disk is full: writes are refused by the host, reads still served. */
  full: boolean;
  /** Milliseconds the disk has been full (0 when not full). */
  fullForMs: number;
  /** Times the log found the disk full (entered the full state). */
  fullCount: number;
  /** ENOSPC errors seen by writes, syncs and probes. */
  noSpaceErrorCount: number;
  /** Bytes of the reserve file while it is held (0 once spent or when disabled). */
  reserveBytes: number;
}

/** Settings of the full-disk handling. */
export interface DiskSpaceOptions {
  fs: FileSystem;
  /** The node log's directory (the reserve file lives there). */
  dir: string;
  /** Size of the reserve file in bytes; 0 disables it. */
  reserveBytes: number;
  /** How often a full disk is probed (and a waiting batch retried), in milliseconds. */
  probeIntervalMs: number;
  log: WalLog;
}

/** The full-disk state of one node log. */
export class DiskSpace {
  readonly #options: DiskSpaceOptions;
  readonly #reservePath: string;
  #reserveHeld = false;
  /** `performance.now()` when the disk was found full, or null while it is not. */
  #fullSinceMs: number | null = null;
  #fullCount = 0;
  #noSpaceErrorCount = 0;
  #probe: ReturnType<typeof setInterval> | undefined;
  /** The probe running now, if any. */
  #probing: Promise<void> | null = null;
  #closed = false;
  /** Batches waiting for space: woken when the probe finds room or the log closes. */
  #waiters = new Set<() => void>();
  readonly #zeros = new Uint8Array(RESERVE_CHUNK_BYTES);

  private constructor(options: DiskSpaceOptions) {
    this.#options = options;
    this.#reservePath = `${options.dir}/${RESERVE_FILE_NAME}`;
  }

  /** Takes (or refreshes) the reserve; a disk already full starts in the full state. */
  static async open(options: DiskSpaceOptions): Promise<DiskSpace> {
    const space = new DiskSpace(options);
    if (options.reserveBytes === 0) {
      await removeIfExists(options.fs, space.#reservePath);
      return space;
    }
    const size = await options.fs.size(space.#reservePath);
    if (size === options.reserveBytes) {
      space.#reserveHeld = true;
      return space;
    }
    if (!(await space.#writeReserve())) space.#enterFull("no room for the reserve at open");
    return space;
  }

  /** True while the disk is full. */
  get full(): boolean {
    return this.#fullSinceMs !== null;
  }

  /** The state for monitoring. */
  state(): DiskState {
    const since = this.#fullSinceMs;
    return {
      full: since !== null,
      fullForMs: since === null ? 0 : Math.round(performance.now() - since),
      fullCount: this.#fullCount,
      noSpaceErrorCount: this.#noSpaceErrorCount,
      reserveBytes: this.#reserveHeld ? this.#options.reserveBytes : 0,
    };
  }

  /**
   * A batch failed with ENOSPC (and was cut back). Spends the reserve and resolves true at once
   * when it is held; otherwise resolves after one probe interval (sooner when the probe finds
   * room), true unless the log is closing.
   */
  async noSpace(error: Error): Promise<boolean> {
    this.#noSpaceErrorCount += 1;
    if (this.#closed) return false;
    this.#enterFull(error.message);
    if (this.#reserveHeld) {
      this.#reserveHeld = false;
      try {
        await removeIfExists(this.#options.fs, this.#reservePath);
      } catch (removeError) {
        this.#options.log.warn("cannot delete the disk reserve", { error: String(removeError) });
        return false;
      }
      this.#options.log.warn("disk full: spent the reserve to finish the pending write", {
        reserveBytes: this.#options.reserveBytes,
      });
      return true;
    }
    await this.#sleep();
    return !this.#closed;
  }

  /** A batch was written: without a reserve to probe with, that is the sign of room. */
  flushed(): void {
    if (this.full && this.#options.reserveBytes === 0) this.#leaveFull();
  }

  /** Stops probing (waiting for a probe that is running); batches waiting for space give up. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#probe);
    this.#probe = undefined;
    this.#wakeWaiters();
    await this.#probing;
  }

  #enterFull(reason: string): void {
    if (this.#fullSinceMs !== null) return;
    this.#fullSinceMs = performance.now();
    this.#fullCount += 1;
    this.#options.log.warn("disk full: writes are refused until space is freed", { reason });
    if (this.#options.reserveBytes > 0 && !this.#closed) {
      this.#probe = setInterval(() => void this.#runProbe(), this.#options.probeIntervalMs);
    }
  }

  #leaveFull(): void {
    const since = this.#fullSinceMs;
    if (since === null) return;
    this.#fullSinceMs = null;
    clearInterval(this.#probe);
    this.#probe = undefined;
    this.#options.log.info("disk has space again: writes resume", {
      fullForMs: Math.round(performance.now() - since),
    });
    this.#wakeWaiters();
  }

  async #runProbe(): Promise<void> {
    if (this.#probing !== null || this.#closed || !this.full) return;
    const run = this.#writeReserve().then((ok) => {
      if (ok && !this.#closed) this.#leaveFull();
    });
    this.#probing = run.catch((error) => {
      this.#options.log.warn("disk probe failed", { error: String(error) });
    }).finally(() => this.#probing = null);
    await this.#probing;
  }

  /** Writes the reserve file; false (and nothing left behind) when the disk has no room. */
  async #writeReserve(): Promise<boolean> {
    const { fs, reserveBytes, log } = this.#options;
    await removeIfExists(fs, this.#reservePath);
    let ok = false;
    try {
      const file = await fs.open(this.#reservePath, "createNew");
      try {
        for (let offset = 0; offset < reserveBytes; offset += RESERVE_CHUNK_BYTES) {
          const count = Math.min(RESERVE_CHUNK_BYTES, reserveBytes - offset);
          await file.write(this.#zeros.subarray(0, count), offset);
        }
        await file.sync();
        ok = true;
      } finally {
        file.close();
      }
    } catch (error) {
      if (isNoSpaceError(error)) {
        this.#noSpaceErrorCount += 1;
      } else {
        log.warn("cannot write the disk reserve", { error: String(error) });
      }
    }
    if (!ok) await removeIfExists(fs, this.#reservePath);
    this.#reserveHeld = ok;
    return ok;
  }

  #sleep(): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(() => {
      this.#waiters.delete(wake);
      resolve();
    }, this.#options.probeIntervalMs);
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    this.#waiters.add(wake);
    return promise;
  }

  #wakeWaiters(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}
