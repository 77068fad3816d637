import {
  AUTH_FAILURE_REFILL_MS,
  AUTH_FAILURES_BURST,
  AUTH_LIMITER_ADDRESSES_MAX,
} from "./limits.ts";

/** Limits of the failed-AUTH limiter. */
export interface AuthLimiterLimits {
  failuresBurst: number;
  refillMs: number;
  addressesMax: number;
}

/** Defaults: 10 failures at once, then one per second, 4096 addresses tracked. */
export const AUTH_LIMITER_DEFAULTS: AuthLimiterLimits = {
  failuresBurst: AUTH_FAILURES_BURST,
  refillMs: AUTH_FAILURE_REFILL_MS,
  addressesMax: AUTH_LIMITER_ADDRESSES_MAX,
};

interface Bucket {
  /** Failures still allowed at `atMs`. */
  tokens: number;
  atMs: number;
}

/**
 * Failed AUTH attempts per client address (the host, not the port), as a token bucket: a burst of
 * `failuresBurst` failures, then one per `refillMs`. A limited address is refused before its
 * password is hashed, so a password-guessing loop costs the node almost nothing. The table is
 * bounded: past `addressesMax` the address tracked longest is forgotten. The clock is passed in.
 */
export class AuthLimiter {
  readonly #limits: AuthLimiterLimits;
  readonly #buckets = new Map<string, Bucket>();
  /** Attempts refused because their address was limited. */
  refusedCount = 0;

  constructor(limits: AuthLimiterLimits = AUTH_LIMITER_DEFAULTS) {
    this.#limits = limits;
  }

  /** Addresses tracked now. */
  get addressCount(): number {
    return this.#buckets.size;
  }

  /** Milliseconds until `address` may try again; 0 when it may try now. */
  retryAfterMs(address: string, nowMs: number): number {
    const bucket = this.#refilled(hostOf(address), nowMs);
    if (bucket === undefined || bucket.tokens >= 1) return 0;
    this.refusedCount++;
    return Math.max(1, Math.ceil((1 - bucket.tokens) * this.#limits.refillMs));
  }

  /** Records a failed attempt from `address`. */
  failed(address: string, nowMs: number): void {
    const host = hostOf(address);
    const bucket = this.#refilled(host, nowMs) ??
      { tokens: this.#limits.failuresBurst, atMs: nowMs };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.#buckets.delete(host);
    this.#buckets.set(host, bucket);
    if (this.#buckets.size > this.#limits.addressesMax) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
  }

  /** The bucket of `host` brought up to `nowMs`; forgotten once full again. */
  #refilled(host: string, nowMs: number): Bucket | undefined {
    const bucket = this.#buckets.get(host);
    if (bucket === undefined) return undefined;
    const elapsedMs = Math.max(0, nowMs - bucket.atMs);
    bucket.tokens = Math.min(
      this.#limits.failuresBurst,
      bucket.tokens + elapsedMs / this.#limits.refillMs,
    );
    bucket.atMs = nowMs;
    if (bucket.tokens >= this.#limits.failuresBurst) {
      this.#buckets.delete(host);
      return undefined;
    }
    return bucket;
  }
}

/** `1.2.3.4:5678` → `1.2.3.4`; `[::1]:5678` → `[::1]`. */
export function hostOf(address: string): string {
  const colon = address.lastIndexOf(":");
  return colon > 0 ? address.slice(0, colon) : address;
}
