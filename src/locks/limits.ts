/** Maximum UTF-8 length of a lock name, in bytes (fixed: the op codec enforces it too). */
export const NAME_BYTES_MAX = 256;
/** Maximum UTF-8 length of an owner, in bytes (fixed: the op codec enforces it too). */
export const OWNER_BYTES_MAX = 256;
/** Maximum lease length in ms: 2^31 - 1, the longest delay a host timer can wait (~24.8 days). */
export const TTL_MS_MAX = 2_147_483_647;

/**
 * Configurable limits of one lock table. They are part of the state machine's definition:
 * every node of the group must use the same values, or their tables diverge.
 */
export interface LockTableLimits {
  /** Locks (names with at least one holder) in the table. */
  locksMax: number;
  /** Holders plus waiters of one lock (an upgrade waiter counts as a second entry). */
  entriesPerLockMax: number;
  /** Parked waiters of one lock. */
  waitersPerLockMax: number;
  /** Holders plus waiters over all locks. */
  entriesTotalMax: number;
  /** Parked waiters over all locks. */
  waitersTotalMax: number;
  /** Owners visited plus edges and queue slots examined by one deadlock search. */
  deadlockSearchStepsMax: number;
}

/** Default limits (a search confined to one full lock stays well under the step budget). */
export const LOCK_TABLE_LIMITS_DEFAULT: Readonly<LockTableLimits> = Object.freeze({
  locksMax: 1_000_000,
  entriesPerLockMax: 2_000,
  waitersPerLockMax: 1_000,
  entriesTotalMax: 2_000_000,
  waitersTotalMax: 100_000,
  deadlockSearchStepsMax: 10_000,
});

/** Fills in defaults and validates configured limits; throws an Error naming a bad value. */
export function resolveLockTableLimits(
  input: Partial<LockTableLimits> = {},
): Readonly<LockTableLimits> {
  const limits = { ...LOCK_TABLE_LIMITS_DEFAULT, ...input };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`Invalid lock table limit: ${key} ${value} is not a positive safe integer`);
    }
  }
  return Object.freeze(limits);
}
