/** Reconnect delays: exponential in the attempt number, capped, with jitter. */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseDelayMs: number;
  /** No delay is ever longer than this. */
  maxDelayMs: number;
}

/** Default: 50 ms doubling up to 2 s. */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = { baseDelayMs: 50, maxDelayMs: 2_000 };

/**
 * Delay before retry number `attempt` (0-based): min(max, base * 2^attempt), then "equal jitter"
 * keeps it in [half, full] of that so that many nodes restarting together spread out.
 * `random01` is a number in [0, 1) supplied by the caller (pure function).
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random01: number): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random01);
}
