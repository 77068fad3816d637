import { ClusterError } from "../consensus/cluster_error.ts";

interface Parked {
  resolve: (token: number | null) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Client waits parked on this node, by waiter id; bounded in number. */
export class ParkedWaiters {
  readonly #max: number;
  readonly #byId = new Map<number, Parked>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Waits parked now. */
  get size(): number {
    return this.#byId.size;
  }

  /** Parks `waiterId`; null when the maximum is reached. */
  park(waiterId: number): Promise<number | null> | null {
    if (this.#byId.size >= this.#max) return null;
    return new Promise((resolve, reject) => {
      this.#byId.set(waiterId, { resolve, reject, timer: undefined });
    });
  }

  /** True while `waiterId` waits here. */
  has(waiterId: number): boolean {
    return this.#byId.has(waiterId);
  }

  /** Answers a wait (token on grant, null when cancelled). Unknown ids are ignored. */
  resolve(waiterId: number, token: number | null): void {
    const parked = this.#take(waiterId);
    parked?.resolve(token);
  }

  /** Fails a wait. */
  fail(waiterId: number, error: Error): void {
    this.#take(waiterId)?.reject(error);
  }

  /** Forgets a wait without answering (the caller answers). */
  drop(waiterId: number): void {
    this.#take(waiterId);
  }

  /** The cancel lost to a grant the leader applied first: wait for it locally, but not forever. */
  expectGrant(waiterId: number, timeoutMs: number): void {
    const parked = this.#byId.get(waiterId);
    if (parked === undefined) return;
    parked.timer = setTimeout(
      () =>
        this.fail(
          waiterId,
          new ClusterError("TIMEOUT", "granted, but the grant did not arrive here in time"),
        ),
      timeoutMs,
    );
  }

  /** Fails every wait (node stopping): TIMEOUT, since the wait may still be granted. */
  failAll(): void {
    for (const waiterId of [...this.#byId.keys()]) {
      this.fail(
        waiterId,
        new ClusterError("TIMEOUT", "node is shutting down; the outcome is unknown"),
      );
    }
  }

  #take(waiterId: number): Parked | undefined {
    const parked = this.#byId.get(waiterId);
    if (parked === undefined) return undefined;
    this.#byId.delete(waiterId);
    clearTimeout(parked.timer);
    return parked;
  }
}
