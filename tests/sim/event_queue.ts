/** A timed event in the simulation. */
export interface Timed<T> {
  /** Virtual time in milliseconds. */
  timeMs: number;
  /** Tie-breaker: insertion order. */
  seq: number;
  /** Payload. */
  event: T;
}

/** Maximum events queued at once; exceeding it fails the run (a runaway message storm). */
export const EVENT_QUEUE_EVENTS_MAX = 1_000_000;

/** A binary min-heap ordered by (timeMs, seq): deterministic for equal times. */
export class EventQueue<T> {
  #heap: Timed<T>[] = [];
  #seq = 0;

  /** Number of queued events. */
  get size(): number {
    return this.#heap.length;
  }

  /** Schedules `event` at `timeMs`. */
  push(timeMs: number, event: T): void {
    if (this.#heap.length >= EVENT_QUEUE_EVENTS_MAX) {
      throw new Error(`Cannot schedule event: queue holds maximum of ${EVENT_QUEUE_EVENTS_MAX}`);
    }
    const item = { timeMs, seq: this.#seq++, event };
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Time of the earliest event, or Infinity. */
  peekTimeMs(): number {
    return this.#heap[0]?.timeMs ?? Infinity;
  }

  /** Removes and returns the earliest event. */
  pop(): Timed<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
    return top;
  }
}

function less<T>(a: Timed<T>, b: Timed<T>): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}
