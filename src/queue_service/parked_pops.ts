/** One `QUEUE.POP WAIT` parked on this node. */
export interface ParkedPop {
  /** True once woken since the last rearm(): a message may be waiting, retry at once. */
  readonly woken: boolean;
  /** Forgets an earlier wake before a retry; the promise resolves at the next wake. */
  rearm(): Promise<void>;
  /** Leaves the park; a wake it did not use goes to the next pop parked for the queue. */
  leave(): void;
}

interface Entry {
  queueKey: string;
  woken: boolean;
  wake: () => void;
  left: boolean;
}

/**
 * The client pops waiting on this node, by queue, in arrival order, bounded in number. A wake for
 * a queue with a count wakes that many pops not yet woken, oldest first; a woken pop that leaves
 * without retrying hands its wake on, so a wake is never lost to a pop that went away.
 */
export class ParkedPops {
  readonly #max: number;
  readonly #byQueue = new Map<string, Set<Entry>>();
  #size = 0;
  /** Wakes received and pops woken (INFO). */
  readonly stats = { wakes: 0, woken: 0 };

  /** At most `max` pops parked at once. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Pops parked now. */
  get size(): number {
    return this.#size;
  }

  /** The most pops parked at once. */
  get max(): number {
    return this.#max;
  }

  /** Parks a pop for `queueKey`; null when `max` are parked already. */
  park(queueKey: string): ParkedPop | null {
    if (this.#size >= this.#max) return null;
    const entry: Entry = { queueKey, woken: false, wake: () => {}, left: false };
    let waiters = this.#byQueue.get(queueKey);
    if (waiters === undefined) {
      waiters = new Set();
      this.#byQueue.set(queueKey, waiters);
    }
    waiters.add(entry);
    this.#size++;
    return {
      get woken() {
        return entry.woken;
      },
      rearm: () => {
        entry.woken = false;
        return new Promise<void>((resolve) => entry.wake = resolve);
      },
      leave: () => this.#leave(entry),
    };
  }

  /** Up to `count` pops parked for `queueKey` and not woken yet are woken, oldest first. */
  wake(queueKey: string, count: number): void {
    this.stats.wakes++;
    const waiters = this.#byQueue.get(queueKey);
    if (waiters === undefined) return;
    const chosen: Entry[] = [];
    for (const entry of waiters) {
      if (chosen.length >= count) break;
      if (!entry.woken) chosen.push(entry);
    }
    for (const entry of chosen) {
      entry.woken = true;
      entry.wake();
      this.stats.woken++;
      // A woken pop goes behind the others: the next wake serves someone else first.
      waiters.delete(entry);
      waiters.add(entry);
    }
  }

  /** Wakes every parked pop (node stopping: each answers what it has). */
  wakeAll(): void {
    for (const [queueKey, waiters] of this.#byQueue) this.wake(queueKey, waiters.size);
  }

  #leave(entry: Entry): void {
    if (entry.left) return;
    entry.left = true;
    const waiters = this.#byQueue.get(entry.queueKey)!;
    waiters.delete(entry);
    this.#size--;
    if (waiters.size === 0) this.#byQueue.delete(entry.queueKey);
    else if (entry.woken) this.wake(entry.queueKey, 1);
  }
}
