import { assert } from "../util/assert.ts";
import { ClusterError } from "./cluster_error.ts";
import { type HostClock, type HostTimer, SYSTEM_CLOCK } from "./host_clock.ts";

interface Pending<T> {
  /** Term the request was made in (0 when any outcome at the key settles it). */
  term: number;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  /** Clock time (`HostClock.nowMs`) after which the waiter fails with TIMEOUT. */
  deadlineMs: number;
  what: string;
}

/**
 * Requests waiting for the log (by index) or for a read (by id), each with a deadline. Every waiter
 * has the same timeout and a waiter is (re)inserted at the end of the map, so the map's order is
 * deadline order: one timer, armed for the oldest waiter, serves them all (a timer per request
 * cost about 5% of a busy leader's CPU).
 */
export class PendingRequests<T> {
  readonly #timeoutMs: number;
  readonly #byKey = new Map<number, Pending<T>>();
  readonly #clock: HostClock;
  #timer: HostTimer | null = null;

  /** Requests time out after `timeoutMs` on `clock`'s timers. */
  constructor(timeoutMs: number, clock: HostClock = SYSTEM_CLOCK) {
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  /** Number of requests waiting. */
  get size(): number {
    return this.#byKey.size;
  }

  /**
   * Waits for `key` to be settled; TIMEOUT (outcome unknown) after the deadline. A waiter already
   * at `key` from an earlier term is refused with TRYAGAIN: a leader of a later term put another
   * entry at that index, so the earlier one can never commit (leader completeness).
   */
  add(key: number, term: number, what: string): Promise<T> {
    const previous = this.#byKey.get(key);
    if (previous !== undefined) {
      assert(term === 0 || previous.term !== term, `${what} ${key} added twice in term ${term}`);
      this.#remove(key, previous);
      previous.reject(
        new ClusterError("TRYAGAIN", `leadership changed before the ${what} completed`),
      );
    }
    const deadlineMs = this.#clock.nowMs() + this.#timeoutMs;
    return new Promise<T>((resolve, reject) => {
      this.#byKey.set(key, { term, resolve, reject, deadlineMs, what });
      this.#timer ??= this.#clock.setTimer(() => this.#expire(), this.#timeoutMs);
    });
  }

  /**
   * The entry at `key` was applied with `term`: the request made in that term succeeds; one made
   * in another term lost its slot to another leader's entry (safe to retry).
   */
  settle(key: number, term: number, value: T): void {
    const pending = this.#byKey.get(key);
    if (pending === undefined) return;
    this.#remove(key, pending);
    if (pending.term === 0 || pending.term === term) pending.resolve(value);
    else pending.reject(new ClusterError("TRYAGAIN", "leadership changed before the commit"));
  }

  /** Fails every request with a key up to `key`. */
  rejectUpTo(key: number, error: Error): void {
    for (const [pendingKey, pending] of this.#byKey) {
      if (pendingKey > key) continue;
      this.#remove(pendingKey, pending);
      pending.reject(error);
    }
  }

  /** Fails every request. */
  rejectAll(error: Error): void {
    this.rejectUpTo(Number.MAX_SAFE_INTEGER, error);
  }

  #remove(key: number, pending: Pending<T>): void {
    assert(this.#byKey.get(key) === pending, `waiter ${key} removed twice`);
    this.#byKey.delete(key);
    if (this.#byKey.size === 0 && this.#timer !== null) {
      this.#clock.clearTimer(this.#timer);
      this.#timer = null;
    }
  }

  /** Fails the waiters past their deadline (the oldest first), then waits for the next one. */
  #expire(): void {
    this.#timer = null;
    const nowMs = this.#clock.nowMs();
    for (const [key, pending] of this.#byKey) {
      if (pending.deadlineMs > nowMs) {
        this.#timer = this.#clock.setTimer(() => this.#expire(), pending.deadlineMs - nowMs);
        return;
      }
      this.#byKey.delete(key);
      pending.reject(
        new ClusterError("TIMEOUT", `${pending.what} not completed in ${this.#timeoutMs} ms`),
      );
    }
  }
}
