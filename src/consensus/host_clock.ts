/** Time as a Raft host sees it: a clock and one-shot timers, real or simulated. */

/** A timer started by `HostClock.setTimer`. */
export type HostTimer = ReturnType<typeof setTimeout> | number;

/**
 * What a host needs of time: `nowMs()` and one-shot timers. Production passes `SYSTEM_CLOCK`;
 * the simulator passes its virtual clock, whose timers are events of its seeded queue.
 */
export interface HostClock {
  /** Milliseconds on a monotonic clock (any origin). */
  nowMs(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimer(callback: () => void, delayMs: number): HostTimer;
  /** Cancels a timer that has not fired (no-op otherwise). */
  clearTimer(timer: HostTimer): void;
}

/** The process clock and timers (looked up at each call, so fake timers in tests apply). */
export const SYSTEM_CLOCK: HostClock = {
  nowMs: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (timer) => clearTimeout(timer),
};
