/**
 * One direction of one proxied TCP connection: reads chunks from `source`, drops them or queues
 * them with a delivery time, and writes them to `sink` in order. The queue is bounded: the pump
 * stops reading (so TCP pushes back on the sender) while another chunk might not fit.
 */
import { assert } from "../../src/util/assert.ts";

/** Which way bytes travel: `forward` from the connecting client to the target. */
export type Direction = "forward" | "backward";

/** What the pump asks its proxy for each chunk. */
export interface PumpControl {
  /** Whether bytes in `direction` are currently discarded. */
  isDropping(direction: Direction): boolean;
  /** Extra delay in ms for the next chunk in `direction` (>= 0). */
  nextDelayMs(direction: Direction): number;
  /** Monotonic clock in ms. */
  nowMs(): number;
  /** Counts bytes delivered or dropped. */
  count(direction: Direction, deliveredBytes: number, droppedBytes: number): void;
  /** Reports the queue's size after a chunk was queued. */
  queued(direction: Direction, queuedBytes: number): void;
  /** Called once when a read or write fails (reset, closed socket): the connection must end. */
  broken(): void;
}

/** A promise that `notify()` resolves; each `wait()` waits for the next `notify()`. */
class Signal {
  #resolve: (() => void) | null = null;
  #promise: Promise<void> | null = null;

  wait(): Promise<void> {
    this.#promise ??= new Promise((resolve) => (this.#resolve = resolve));
    return this.#promise;
  }

  notify(): void {
    const resolve = this.#resolve;
    this.#promise = null;
    this.#resolve = null;
    resolve?.();
  }
}

/** One direction's reader and writer loops. */
export class Pump {
  readonly #source: Deno.Conn;
  readonly #sink: Deno.Conn;
  readonly #direction: Direction;
  readonly #control: PumpControl;
  readonly #queueBytesMax: number;
  readonly #readChunkBytes: number;
  readonly #queue: { bytes: Uint8Array; dueMs: number }[] = [];
  readonly #changed = new Signal();
  #queuedBytes = 0;
  #lastDueMs = 0;
  #sourceDone = false;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** True once bytes were dropped: the byte stream has a hole and cannot be resumed. */
  tainted = false;
  /** Resolves when both loops have ended. */
  readonly done: Promise<void>;

  /** Starts pumping; `queueBytesMax` >= `readChunkBytes` > 0. */
  constructor(
    source: Deno.Conn,
    sink: Deno.Conn,
    direction: Direction,
    control: PumpControl,
    limits: { queueBytesMax: number; readChunkBytes: number },
  ) {
    assert(limits.readChunkBytes > 0, "readChunkBytes is positive");
    assert(limits.queueBytesMax >= limits.readChunkBytes, "a chunk fits in the queue");
    this.#source = source;
    this.#sink = sink;
    this.#direction = direction;
    this.#control = control;
    this.#queueBytesMax = limits.queueBytesMax;
    this.#readChunkBytes = limits.readChunkBytes;
    this.done = Promise.all([this.#readLoop(), this.#writeLoop()]).then(() => {});
  }

  /** Ends both loops; the connection owner closes the sockets. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#changed.notify();
  }

  async #readLoop(): Promise<void> {
    try {
      while (!this.#stopped) {
        if (this.#queuedBytes + this.#readChunkBytes > this.#queueBytesMax) {
          await this.#changed.wait(); // full: stop reading until the writer drains a chunk
          continue;
        }
        const buffer = new Uint8Array(this.#readChunkBytes);
        const count = await this.#source.read(buffer);
        if (count === null || this.#stopped) break;
        this.#accept(buffer.subarray(0, count));
      }
    } catch {
      if (!this.#stopped) this.#control.broken(); // a reset: the connection is ending
    }
    this.#sourceDone = true;
    this.#changed.notify();
  }

  #accept(bytes: Uint8Array): void {
    if (this.#control.isDropping(this.#direction)) {
      this.tainted = true;
      this.#control.count(this.#direction, 0, bytes.length);
      return;
    }
    const nowMs = this.#control.nowMs();
    const dueMs = Math.max(this.#lastDueMs, nowMs + this.#control.nextDelayMs(this.#direction));
    this.#lastDueMs = dueMs;
    this.#queue.push({ bytes, dueMs });
    this.#queuedBytes += bytes.length;
    assert(this.#queuedBytes <= this.#queueBytesMax, "the queue stays within its bound");
    this.#control.queued(this.#direction, this.#queuedBytes);
    this.#changed.notify();
  }

  async #writeLoop(): Promise<void> {
    try {
      while (!this.#stopped) {
        const head = this.#queue[0];
        if (head === undefined) {
          if (this.#sourceDone) {
            await this.#sink.closeWrite(); // pass the half-close on
            return;
          }
          await this.#changed.wait();
          continue;
        }
        const waitMs = head.dueMs - this.#control.nowMs();
        if (waitMs > 0) {
          await new Promise<void>((resolve) => {
            this.#timer = setTimeout(() => resolve(), waitMs);
            this.#changed.wait().then(resolve);
          });
          if (this.#timer !== null) clearTimeout(this.#timer);
          this.#timer = null;
          continue;
        }
        await writeAll(this.#sink, head.bytes);
        this.#queue.shift();
        this.#queuedBytes -= head.bytes.length;
        this.#control.count(this.#direction, head.bytes.length, 0);
        this.#changed.notify();
      }
    } catch {
      if (!this.#stopped) this.#control.broken(); // the sink was reset: the connection is ending
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}
