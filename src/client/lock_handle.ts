import { DsyncError } from "./errors.ts";
import type { NodePool } from "./node_pool.ts";
import { flagReply } from "./replies.ts";

/** Refreshes run every TTL / REFRESH_DIVISOR: two more tries fit before the lease runs out. */
export const REFRESH_DIVISOR = 3;
/**
 * The signal fires TTL / EXPIRY_MARGIN_DIVISOR before the lease could run out on the leader's
 * clock, counted from when the last confirmed request was sent (clocks run at slightly different
 * rates; firing early is safe, late is not).
 */
export const EXPIRY_MARGIN_DIVISOR = 20;
/** Most refreshes of one lease waiting for their replies at once. */
const REFRESHES_IN_FLIGHT_MAX = 2;
/** After a failed refresh, the next try comes this much later (or at the lease's end). */
const REFRESH_RETRY_MS = 100;

/** The reason a lock handle's signal fired because its lease is, or may be, gone. */
export class LeaseLostError extends Error {
  /** `lock`: the lock's name; `reason`: why the lease is considered lost. */
  constructor(lock: string, reason: string) {
    super(`lease on lock '${lock}' lost: ${reason}`);
    this.name = "LeaseLostError";
  }
}

/** The reason a lock handle's signal fired because release() was called. */
export class LockReleasedError extends Error {
  /** `lock`: the released lock's name. */
  constructor(lock: string) {
    super(`lock '${lock}' was released`);
    this.name = "LockReleasedError";
  }
}

/** What a grant told the client; `confirmedAt` is when the granting request was sent. */
export interface Grant {
  name: string;
  owner: string;
  token: number;
  shared: boolean;
  ttlMs: number;
  /** `performance.now()` when the request that granted (or last renewed) the lease was sent. */
  confirmedAt: number;
}

/**
 * A held lock: its fencing token, and a signal that fires as soon as the lease is, or may be, lost
 * (a refresh answered `:0`, or no refresh confirmed within the TTL minus a margin) or released.
 * The lease is refreshed every TTL / 3 until release() or loss.
 */
export class LockHandle {
  /** The lock's name. */
  readonly name: string;
  /** The owner the lock is held by (unique per handle unless chosen by the caller). */
  readonly owner: string;
  /** The fencing token of this grant: pass it to the resource and have it refuse older ones. */
  readonly token: number;
  /** True for a shared (read) grant. */
  readonly shared: boolean;
  /** The lease length asked for, in ms. */
  readonly ttlMs: number;
  readonly #pool: NodePool;
  readonly #controller = new AbortController();
  #expiresAt: number;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshCount = 0;
  #refreshesInFlight = 0;
  readonly #onEnd: (handle: LockHandle) => void;

  /** Starts keeping `grant` alive through `pool`; `onEnd` is told once it is released or lost. */
  constructor(pool: NodePool, grant: Grant, onEnd: (handle: LockHandle) => void = () => {}) {
    this.#pool = pool;
    this.#onEnd = onEnd;
    this.name = grant.name;
    this.owner = grant.owner;
    this.token = grant.token;
    this.shared = grant.shared;
    this.ttlMs = grant.ttlMs;
    this.#expiresAt = 0;
    this.#confirmed(grant.confirmedAt);
  }

  /** Fires (with a LeaseLostError or LockReleasedError reason) once the lock is no longer held. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True until the lease is lost or released. */
  get held(): boolean {
    return !this.#controller.signal.aborted;
  }

  /** Refreshes confirmed so far. */
  get refreshCount(): number {
    return this.#refreshCount;
  }

  /**
   * Stops refreshing and releases this grant (`LOCK.RELEASE ... TOKEN t`, so it can never free a
   * later grant). True when the node released it, false when it was no longer held.
   */
  async release(): Promise<boolean> {
    const wasHeld = this.held;
    this.#stop(new LockReleasedError(this.name));
    if (!wasHeld) return false;
    return await this.#releaseOnNode();
  }

  /** Stops refreshing without releasing (the client is closing); the signal fires. */
  abandon(): void {
    this.#stop(new LeaseLostError(this.name, "the client was closed"));
  }

  #releaseOnNode(): Promise<boolean> {
    const args = ["LOCK.RELEASE", this.name, this.owner, "TOKEN", String(this.token)];
    return this.#pool.call(args, { idempotent: true }).then((reply) =>
      flagReply("LOCK.RELEASE", reply)
    );
  }

  /** The lease is confirmed as of `sentAt`: move the expiry, schedule the next refresh. */
  #confirmed(sentAt: number): void {
    const expiresAt = sentAt + this.ttlMs - this.ttlMs / EXPIRY_MARGIN_DIVISOR;
    if (expiresAt <= this.#expiresAt) return; // an older refresh answered after a newer one
    this.#expiresAt = expiresAt;
    if (this.#expiredNow()) return;
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = setTimeout(() => this.#expiredNow(), this.#expiresAt - performance.now());
    const refreshAt = sentAt + this.ttlMs / REFRESH_DIVISOR;
    this.#scheduleRefresh(Math.max(0, refreshAt - performance.now()));
  }

  #scheduleRefresh(delayMs: number): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => void this.#refresh(), delayMs);
  }

  /**
   * Checks the clock first: after a pause, a late timer must not refresh a lease that may be gone.
   * A slow refresh does not hold up the next one: up to REFRESHES_IN_FLIGHT_MAX run at once.
   */
  async #refresh(): Promise<void> {
    if (!this.held || this.#expiredNow()) return;
    const sentAt = performance.now();
    this.#scheduleRefresh(this.ttlMs / REFRESH_DIVISOR);
    if (this.#refreshesInFlight >= REFRESHES_IN_FLIGHT_MAX) return;
    this.#refreshesInFlight++;
    try {
      await this.#refreshOnce(sentAt);
    } finally {
      this.#refreshesInFlight--;
    }
  }

  async #refreshOnce(sentAt: number): Promise<void> {
    const args = ["LOCK.REFRESH", this.name, this.owner, String(this.ttlMs)];
    args.push("TOKEN", String(this.token));
    try {
      const reply = await this.#pool.call(args, { idempotent: true, deadlineAt: this.#expiresAt });
      if (!this.held) return;
      if (!flagReply("LOCK.REFRESH", reply)) {
        this.#lose("the cluster no longer has this grant (LOCK.REFRESH answered 0)");
        return;
      }
      this.#refreshCount++;
      this.#confirmed(sentAt);
    } catch (error) {
      if (!this.held || this.#expiredNow()) return;
      if (error instanceof DsyncError && !retryLater(error)) {
        this.#lose(`LOCK.REFRESH failed: ${error.message}`);
        return;
      }
      this.#scheduleRefresh(Math.min(REFRESH_RETRY_MS, this.#expiresAt - performance.now()));
    }
  }

  /** Fires the signal when the lease may have run out; true if it did. */
  #expiredNow(): boolean {
    if (!this.held) return true;
    if (performance.now() < this.#expiresAt) return false;
    this.#lose(`no refresh confirmed within ${this.ttlMs} ms`);
    return true;
  }

  #lose(reason: string): void {
    this.#stop(new LeaseLostError(this.name, reason));
    // The grant may still be live on the cluster (the margin, a lost reply): free it, bound to
    // this token, so a waiter gets it sooner. A failure changes nothing.
    this.#releaseOnNode().catch(() => {});
  }

  #stop(reason: Error): void {
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#expiryTimer);
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    this.#onEnd(this);
  }
}

/** Refusals after which refreshing again may still succeed before the lease ends. */
function retryLater(error: DsyncError): boolean {
  return ["TIMEOUT", "TRYAGAIN", "NOQUORUM", "NOSPACE", "LIMIT"].includes(error.code);
}
