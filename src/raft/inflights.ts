import { assert } from "../util/assert.ts";

/** A bounded FIFO of the last indices of appends in flight to one follower. */
export class Inflights {
  #buffer: number[];
  #start = 0;
  #count = 0;

  /** Creates an empty window holding at most `capacity` appends. */
  constructor(capacity: number) {
    assert(capacity >= 1, "inflight capacity must be positive");
    this.#buffer = new Array<number>(capacity).fill(0);
  }

  /** Number of appends in flight. */
  get count(): number {
    return this.#count;
  }

  /** True when no more appends may be sent. */
  isFull(): boolean {
    return this.#count === this.#buffer.length;
  }

  /** Records an append whose last entry is `lastIndex`. Callers check `isFull` first. */
  add(lastIndex: number): void {
    assert(!this.isFull(), "inflight window overflow");
    this.#buffer[(this.#start + this.#count) % this.#buffer.length] = lastIndex;
    this.#count++;
  }

  /** Frees every append whose last index is <= `index`. */
  freeTo(index: number): void {
    while (this.#count > 0 && this.#buffer[this.#start]! <= index) {
      this.#start = (this.#start + 1) % this.#buffer.length;
      this.#count--;
    }
  }

  /** Frees the oldest append (used when a heartbeat response shows the peer is alive). */
  freeFirst(): void {
    if (this.#count === 0) return;
    this.#start = (this.#start + 1) % this.#buffer.length;
    this.#count--;
  }

  /** Frees everything. */
  reset(): void {
    this.#start = 0;
    this.#count = 0;
  }
}
