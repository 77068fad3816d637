import { assert } from "../util/assert.ts";
import { ClusterError } from "./cluster_error.ts";
import { type HostClock, type HostTimer, SYSTEM_CLOCK } from "./host_clock.ts";

interface Pending<T> {
  /** Term the request was made in (0 when any outcome at the key settles it). */
  term: number;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: HostTimer;
}

/** Requests waiting for the log (by index) or for a read (by id), each with a deadline. */
export class PendingRequests<T> {
  readonly #timeoutMs: number;
  readonly #clock: HostClock;
  readonly #byKey = new Map<number, Pending<T>>();

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
    return new Promise<T>((resolve, reject) => {
      const timer = this.#clock.setTimer(() => {
        // Only this waiter: a newer one at the same key keeps its own deadline.
        if (this.#byKey.get(key) !== pending) return;
        this.#byKey.delete(key);
        reject(new ClusterError("TIMEOUT", `${what} not completed in ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      const pending: Pending<T> = { term, resolve, reject, timer };
      this.#byKey.set(key, pending);
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
    this.#clock.clearTimer(pending.timer);
  }
}
