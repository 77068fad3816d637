/** One call to check a recorded history of lock commands for linearizability. */
import type { HistoryOperation } from "./history.ts";
import {
  checkLinearizability,
  describeVerdict,
  type LinearizabilityOptions,
  type LinearizabilityVerdict,
} from "./linearizability.ts";
import { lockOperations, type LockOperationsOptions } from "./lock_call.ts";
import { LOCK_MODEL, type LockInput, type LockOutput } from "./lock_model.ts";

/** The verdict of a lock history, with its text. */
export interface LockCheckResult {
  /** The verdict. */
  readonly verdict: LinearizabilityVerdict<LockInput, LockOutput>;
  /** `describeVerdict` of it. */
  readonly text: string;
}

/** Checks the LOCK.* operations of a history against the lock model, per lock name. */
export function checkLockHistory(
  ops: readonly HistoryOperation[],
  options: LinearizabilityOptions & LockOperationsOptions = {},
): LockCheckResult {
  const verdict = checkLinearizability(LOCK_MODEL, lockOperations(ops, options), options);
  return { verdict, text: describeVerdict(LOCK_MODEL, verdict) };
}
