/** Client work allowed in one event-loop turn by default, in ms (a Raft tick is 50 ms). */
export const CLIENT_SLICE_MS_DEFAULT = 10;

/**
 * Bounds the client work done in one event-loop turn, across every client connection.
 *
 * Completed socket reads of thousands of clients can all resume in one turn; processed at once,
 * their commands hold the loop for longer than a tick, and peer heartbeats, Raft ticks and the
 * failure detector wait behind them. Instead a connection asks `tryTake()` before each slice of
 * its commands: while this turn's window is under `sliceMs` it goes on, otherwise it waits in
 * `nextTurn()`. Waiters resume in arrival order from a timer task, at most `sliceMs` of them per
 * task, so timers and peer reads run between slices. Peer traffic never passes through here.
 */
export class TurnBudget {
  readonly #sliceMs: number;
  readonly #nowMs: () => number;
  /** Start of the current window; null once a timer task ran since (a new turn). */
  #windowStartMs: number | null = null;
  readonly #waiters: Array<() => void> = [];
  #drainScheduled = false;

  constructor(
    sliceMs: number = CLIENT_SLICE_MS_DEFAULT,
    nowMs: () => number = () => performance.now(),
  ) {
    if (!(sliceMs > 0)) throw new RangeError(`sliceMs must be positive, got ${sliceMs}`);
    this.#sliceMs = sliceMs;
    this.#nowMs = nowMs;
  }

  /** Connections waiting for a later turn. */
  get waitingCount(): number {
    return this.#waiters.length;
  }

  /** A read of the budget's clock (the node's monotonic clock unless a test gave another). */
  now(): number {
    return this.#nowMs();
  }

  /**
   * True when a slice of client work may run now: nobody waits and this window has time left.
   * `nowMs`: a read of `now()` the caller already made (one clock read serves the slice too).
   */
  tryTake(nowMs: number = this.#nowMs()): boolean {
    if (this.#waiters.length > 0) return false;
    if (this.#windowStartMs === null) {
      this.#openWindow(nowMs);
      return true;
    }
    return nowMs - this.#windowStartMs < this.#sliceMs;
  }

  /** True while this turn's window has time left (or none is open yet); takes nothing. */
  hasTime(): boolean {
    return this.#windowStartMs === null || this.#nowMs() - this.#windowStartMs < this.#sliceMs;
  }

  /** Resolves in a later turn, after every earlier waiter, when a window has time for it. */
  nextTurn(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#scheduleDrain();
    });
  }

  #openWindow(nowMs: number): void {
    this.#windowStartMs = nowMs;
    setTimeout(() => this.#windowStartMs = null, 0);
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    setTimeout(() => void this.#drain(), 0);
  }

  async #drain(): Promise<void> {
    this.#drainScheduled = false;
    const startMs = this.#nowMs();
    this.#openWindow(startMs);
    while (this.#waiters.length > 0 && this.#nowMs() - startMs < this.#sliceMs) {
      this.#waiters.shift()!();
      // The resumed slice runs in the microtask queued by resolve(), before this one.
      await Promise.resolve();
    }
    if (this.#waiters.length > 0) this.#scheduleDrain();
  }
}
