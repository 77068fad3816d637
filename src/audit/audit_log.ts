import type { Logger } from "../log/logger.ts";

/** What to do when the buffer is full: wait for the disk, or drop the record and count it. */
export type AuditFullPolicy = "block" | "drop";

/** Options of an audit log. */
export interface AuditLogOptions {
  path: string;
  /** Records buffered (or reserved) at most before `full` applies. */
  recordsMax: number;
  full: AuditFullPolicy;
}

/** Counters of an audit log (INFO audit, /metrics). */
export interface AuditStats {
  written: number;
  dropped: number;
  /** Records that could not be written (disk error); also counted as dropped. */
  writeErrors: number;
  reopened: number;
}

const encoder = new TextEncoder();

/**
 * The `--audit-log` file: JSON lines appended by one writer loop from a bounded buffer. A caller
 * reserves a slot before the command runs and fills it with the line once the outcome is known,
 * so buffered plus reserved never exceeds `recordsMax`. With `block` a caller that finds no room
 * waits (`roomAvailable`); with `drop` the record is dropped and counted. `reopen` (SIGHUP) closes
 * and reopens the path between two writes, for log rotation.
 */
export class AuditLog {
  readonly #options: AuditLogOptions;
  readonly #logger: Logger;
  #file: Deno.FsFile | null = null;
  #lines: string[] = [];
  #reserved = 0;
  #writing = false;
  #reopenRequested = false;
  #closed = false;
  #waiters: Array<() => void> = [];
  #lastErrorLogMs = -Infinity;
  readonly stats: AuditStats = { written: 0, dropped: 0, writeErrors: 0, reopened: 0 };

  constructor(options: AuditLogOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
  }

  /** The full policy. */
  get full(): AuditFullPolicy {
    return this.#options.full;
  }

  /** Records buffered or reserved now. */
  get pendingCount(): number {
    return this.#lines.length + this.#reserved;
  }

  /** Opens (creates) the file for appending; throws when it cannot. */
  async open(): Promise<void> {
    this.#file = await openAppend(this.#options.path);
  }

  /**
   * Holds a slot for a record; false when full (the caller waits or drops, per `full`). `force`
   * takes one past the bound: under `block`, for the one command a connection ran before it
   * waits (so the excess is at most one record per client connection).
   */
  reserve(force = false): boolean {
    if (this.#closed) return false;
    if (!force && this.pendingCount >= this.#options.recordsMax) return false;
    this.#reserved++;
    return true;
  }

  /** A record that found no room and was dropped. */
  countDropped(): void {
    this.stats.dropped++;
  }

  /** Resolves once a slot is free (block policy). */
  roomAvailable(): Promise<void> {
    if (this.#closed || this.pendingCount < this.#options.recordsMax) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Fills a reserved slot with `line` (or releases it with null). */
  fill(line: string | null): void {
    this.#reserved--;
    if (line === null || this.#closed) {
      this.#wake();
      return;
    }
    this.#lines.push(line);
    if (!this.#writing) void this.#writeLoop();
  }

  /** Reopens the path before the next write (SIGHUP: the old file was moved away). */
  reopen(): void {
    this.#reopenRequested = true;
    if (!this.#writing) void this.#writeLoop();
  }

  /** Writes what is buffered, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#writing) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.#writeLoop();
    this.#file?.close();
    this.#file = null;
    this.#wake();
  }

  async #writeLoop(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#lines.length > 0 || this.#reopenRequested) {
        if (this.#reopenRequested) await this.#reopenNow();
        if (this.#lines.length === 0) continue;
        const batch = this.#lines;
        this.#lines = [];
        await this.#write(batch);
        this.#wake();
      }
    } finally {
      this.#writing = false;
    }
  }

  async #reopenNow(): Promise<void> {
    this.#reopenRequested = false;
    try {
      const file = await openAppend(this.#options.path);
      this.#file?.close();
      this.#file = file;
      this.stats.reopened++;
      this.#logger.info("audit log reopened", { path: this.#options.path });
    } catch (error) {
      this.#logger.error("audit log cannot be reopened; writing to the old file", {
        path: this.#options.path,
        error: String(error),
      });
    }
  }

  async #write(batch: string[]): Promise<void> {
    const bytes = encoder.encode(batch.join(""));
    try {
      if (this.#file === null) throw new Error("audit log is not open");
      let offset = 0;
      while (offset < bytes.length) offset += await this.#file.write(bytes.subarray(offset));
      this.stats.written += batch.length;
    } catch (error) {
      this.stats.writeErrors += batch.length;
      this.stats.dropped += batch.length;
      const nowMs = performance.now();
      if (nowMs - this.#lastErrorLogMs >= 1_000) {
        this.#lastErrorLogMs = nowMs;
        this.#logger.error("audit records could not be written", {
          path: this.#options.path,
          records: batch.length,
          error: String(error),
        });
      }
    }
  }

  /** Wakes the callers waiting for room, once there is some (or the log closed). */
  #wake(): void {
    if (!this.#closed && this.pendingCount >= this.#options.recordsMax) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

function openAppend(path: string): Promise<Deno.FsFile> {
  return Deno.open(path, { append: true, create: true, write: true, mode: 0o600 });
}
