import { assert } from "../util/assert.ts";
import { isNoSpaceError, StorageLimitError, WalFailedError } from "./errors.ts";

/** Bounds of the group commit queue. */
export interface GroupCommitLimits {
  /** Requests queued or in flight before new ones are refused. */
  pendingAppendsMax: number;
  /** Encoded bytes queued or in flight before new requests are refused. */
  pendingBytesMax: number;
  /** Encoded bytes written by one flush (one write + one fdatasync). */
  batchBytesMax: number;
}

/** Writes and syncs one batch of requests; resolves once all of them are durable. */
export type FlushBatch<T> = (items: readonly T[], batchBytes: number) => Promise<void>;

/**
 * Called when a flush failed because the disk is full (the flush left nothing half written);
 * resolves true when the same batch should be written again (space was made or may be back),
 * false to give up (the log is closing): the batch then fails like any other write error.
 */
export type NoSpaceWait = (error: Error) => Promise<boolean>;

interface Waiter<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Group commit: at most one flush runs at a time, and every request submitted while it runs
 * joins the next flush, so one fdatasync covers all of them. Requests are flushed strictly in
 * submission order; each caller's promise resolves when its request is durable.
 */
export class GroupCommit<T> {
  readonly #flush: FlushBatch<T>;
  readonly #limits: GroupCommitLimits;
  /** Requests not yet handed to a flush, oldest first. */
  #queue: Waiter<T>[] = [];
  /** Encoded bytes of `#queue`. */
  #queuedBytes = 0;
  /** Requests and bytes of the flush in progress. */
  #inFlightCount = 0;
  #inFlightBytes = 0;
  /** True while the flush loop runs (or is scheduled to). */
  #running = false;
  /** Set by the first failed flush; every later request is refused with it. */
  #failure: WalFailedError | null = null;
  /** Callers of `whenIdle()`. */
  #idleWaiters: (() => void)[] = [];
  /** Number of flushes performed. */
  #flushCount = 0;
  /** Flushes that failed for lack of space and were written again. */
  #noSpaceRetryCount = 0;
  readonly #noSpaceWait: NoSpaceWait | null;

  /**
   * Creates a queue that calls `flush` for each batch. Without `noSpaceWait` a full disk stops
   * the queue like any write error; with it, the batch stays pending (nothing is acknowledged)
   * and is written again whenever `noSpaceWait` says so.
   */
  constructor(flush: FlushBatch<T>, limits: GroupCommitLimits, noSpaceWait?: NoSpaceWait) {
    this.#flush = flush;
    this.#limits = limits;
    this.#noSpaceWait = noSpaceWait ?? null;
  }

  /** Flushes that failed for lack of space and were written again. */
  get noSpaceRetryCount(): number {
    return this.#noSpaceRetryCount;
  }

  /** Requests queued or in flight. */
  get pendingCount(): number {
    return this.#queue.length + this.#inFlightCount;
  }

  /** Encoded bytes queued or in flight. */
  get pendingBytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  /** Number of flushes performed. */
  get flushCount(): number {
    return this.#flushCount;
  }

  /** The failure that stopped the queue, or null. */
  get failure(): WalFailedError | null {
    return this.#failure;
  }

  /** Calls `visit` for each request not yet handed to a flush, oldest first. */
  forEachQueued(visit: (item: T) => void): void {
    for (const waiter of this.#queue) visit(waiter.item);
  }

  /** Why a request of `bytes` would be refused now, or null when it would be accepted. */
  refusal(bytes: number): StorageLimitError | WalFailedError | null {
    if (this.#failure !== null) return this.#failure;
    const limits = this.#limits;
    if (bytes > limits.batchBytesMax) {
      return new StorageLimitError(
        `Cannot append: request of ${bytes} bytes exceeds batch maximum of ` +
          `${limits.batchBytesMax} bytes`,
      );
    }
    if (this.pendingCount >= limits.pendingAppendsMax) {
      return new StorageLimitError(
        `Cannot append: ${this.pendingCount} appends pending, maximum is ` +
          `${limits.pendingAppendsMax}; wait for earlier appends to finish`,
      );
    }
    if (this.pendingBytes + bytes > limits.pendingBytesMax) {
      return new StorageLimitError(
        `Cannot append: ${this.pendingBytes} bytes pending plus ${bytes} exceeds maximum of ` +
          `${limits.pendingBytesMax}; wait for earlier appends to finish`,
      );
    }
    return null;
  }

  /** Queues `item` (which `refusal` accepted); resolves when it is durable. */
  submit(item: T, bytes: number): Promise<void> {
    assert(this.refusal(bytes) === null, "submitted request was checked with refusal()");
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ item, bytes, resolve, reject });
    this.#queuedBytes += bytes;
    if (!this.#running) {
      this.#running = true;
      // Start on a microtask so requests submitted in the same turn share the first flush.
      queueMicrotask(() => void this.#run());
    }
    return promise;
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#idleWaiters.push(resolve);
    return promise;
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      const failure = await this.#flushUntilWritten(batch);
      if (failure !== null) {
        this.#fail(batch, failure);
        break;
      }
      this.#flushCount += 1;
      this.#inFlightCount = 0;
      this.#inFlightBytes = 0;
      for (const waiter of batch) waiter.resolve();
    }
    this.#running = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Flushes `batch`, again after each full-disk failure `noSpaceWait` allows; the error else. */
  async #flushUntilWritten(batch: Waiter<T>[]): Promise<unknown> {
    const items = batch.map((waiter) => waiter.item);
    for (;;) {
      try {
        await this.#flush(items, this.#inFlightBytes);
        return null;
      } catch (error) {
        const wait = this.#noSpaceWait;
        if (wait === null || !isNoSpaceError(error) || !(await wait(error as Error))) return error;
        this.#noSpaceRetryCount += 1;
      }
    }
  }

  /** Removes the oldest requests whose bytes fit one batch (always at least one). */
  #takeBatch(): Waiter<T>[] {
    let count = 0;
    let bytes = 0;
    for (const waiter of this.#queue) {
      if (count > 0 && bytes + waiter.bytes > this.#limits.batchBytesMax) break;
      count += 1;
      bytes += waiter.bytes;
    }
    const batch = this.#queue.splice(0, count);
    this.#queuedBytes -= bytes;
    this.#inFlightCount = count;
    this.#inFlightBytes = bytes;
    return batch;
  }

  #fail(batch: Waiter<T>[], cause: unknown): void {
    const detail = cause instanceof Error ? cause.message : String(cause);
    this.#failure = new WalFailedError(`Cannot write log: ${detail}; the log is stopped`, {
      cause,
    });
    const rejected = batch.concat(this.#queue);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#inFlightCount = 0;
    this.#inFlightBytes = 0;
    for (const waiter of rejected) waiter.reject(this.#failure);
  }
}
