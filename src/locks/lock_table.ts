import { assert } from "../util/assert.ts";
import { applyAcquire } from "./acquire.ts";
import { type LockTableLimits, resolveLockTableLimits } from "./limits.ts";
import { applyCancelWait, applyExpire, applyRefresh, applyRelease } from "./release.ts";
import type { BinaryWriter } from "../../protocol/binary/mod.ts";
import {
  decodeTableState,
  decodeTableStateSteps,
  encodedBytesHint,
  encodeTableState,
  encodeTableStateInto,
  encodeTableStateSteps,
} from "./snapshot_codec.ts";
import { createTableState, type TableState } from "./table_state.ts";
import type {
  HeldLock,
  HolderInfo,
  LockApplyResult,
  LockInfo,
  LockOp,
  LockTableStats,
  ParkedWaiter,
} from "./types.ts";
import { lockOpProblem } from "./validate.ts";

/**
 * The replicated lock table: a pure, deterministic state machine fed with committed lock ops.
 * Every node applying the same ops in the same order (with the same limits) holds the same table
 * and computes the same results. See mod.ts for the semantics.
 */
export class LockTable {
  #state: TableState;

  /** An empty table; `limits` must be identical on every node of the group. */
  constructor(limits: Partial<LockTableLimits> = {}) {
    this.#state = createTableState(resolveLockTableLimits(limits));
  }

  /** Rebuilds a table from `snapshot()` bytes; throws an Error "Cannot decode ..." if invalid. */
  static restore(bytes: Uint8Array, limits: Partial<LockTableLimits> = {}): LockTable {
    const table = new LockTable(limits);
    table.#state = decodeTableState(bytes, table.#state.limits);
    return table;
  }

  /**
   * LockTable.restore in steps (decodeTableStateSteps): yields each step's item count, returns
   * the table. Nothing of an existing table changes: the caller swaps it in at the end.
   */
  static *restoreSteps(
    bytes: Uint8Array,
    limits: Partial<LockTableLimits>,
    itemsPerStep: number,
  ): Generator<number, LockTable, void> {
    const table = new LockTable(limits);
    table.#state = yield* decodeTableStateSteps(bytes, table.#state.limits, itemsPerStep);
    return table;
  }

  /** The limits in force. */
  get limits(): Readonly<LockTableLimits> {
    return this.#state.limits;
  }

  /**
   * Applies the op of the committed entry at log `index` (non-decreasing: several ops may share
   * an entry). Never throws for any op: a malformed acquire answers `invalid` (or `limit` for
   * an oversize name/owner), any other malformed op answers false.
   */
  apply(index: number, op: LockOp): LockApplyResult {
    const state = this.#state;
    assert(
      Number.isSafeInteger(index) && index >= state.appliedIndex,
      `lock op index ${index} is below the applied index ${state.appliedIndex}`,
    );
    state.appliedIndex = index;
    const problem = lockOpProblem(op);
    if (problem !== null) {
      if (op.op !== "acquire") return { outcome: false, grants: [] };
      return {
        outcome: { kind: problem.kind, message: `Cannot acquire lock: ${problem.message}` },
        grants: [],
      };
    }
    switch (op.op) {
      case "acquire":
        return applyAcquire(state, op);
      case "release":
        return applyRelease(state, op);
      case "refresh":
        return applyRefresh(state, op);
      case "expire":
        return applyExpire(state, op);
      case "cancelWait":
        return applyCancelWait(state, op);
    }
  }

  /** The state of lock `name` (mode `none` with empty lists when nobody holds it). */
  info(name: string): LockInfo {
    const lock = this.#state.locks.get(name);
    if (lock === undefined) return { mode: "none", holders: [], waiters: [] };
    return {
      mode: lock.mode,
      holders: [...lock.holders.values()].map(({ owner, token, ttlMs, leaseIndex }) => ({
        owner,
        token,
        ttlMs,
        leaseIndex,
      })),
      waiters: [...lock.queue].map(({ owner, mode, waiterId, ttlMs }) => ({
        owner,
        mode,
        waiterId,
        ttlMs,
      })),
    };
  }

  /**
   * Calls `visit` with each grant of lock `name` in grant order: the table's own records, read
   * only and valid during the call (no copies: every node follows each applied op with this).
   */
  forEachHolder(name: string, visit: (holder: Readonly<HolderInfo>) => void): void {
    this.#state.locks.get(name)?.holders.forEach(visit);
  }

  /** Every live grant (for the leader's lease tracking), lock by lock in table order. */
  *holders(): IterableIterator<HeldLock> {
    for (const lock of this.#state.locks.values()) {
      for (const { owner, token, ttlMs, leaseIndex } of lock.holders.values()) {
        yield { name: lock.name, mode: lock.mode, owner, token, ttlMs, leaseIndex };
      }
    }
  }

  /** Every parked waiter (for the leader's wait timeouts and for cancelling orphaned waits). */
  *waiters(): IterableIterator<ParkedWaiter> {
    for (const lock of this.#state.locks.values()) {
      for (const { owner, mode, waiterId, ttlMs } of lock.queue) {
        yield { name: lock.name, owner, mode, waiterId, ttlMs };
      }
    }
  }

  /** The whole table as versioned binary (a Raft snapshot image part). */
  snapshot(): Uint8Array {
    return encodeTableState(this.#state);
  }

  /** Appends snapshot() to `writer` without a copy of its own (large tables). */
  snapshotInto(writer: BinaryWriter): void {
    encodeTableStateInto(this.#state, writer);
  }

  /**
   * Appends snapshot() to `writer` in steps of at most `itemsPerStep` locks, holders and waiters,
   * yielding each step's count (encodeTableStateSteps); apply nothing until it ends.
   */
  snapshotSteps(writer: BinaryWriter, itemsPerStep: number): Generator<number, void, void> {
    return encodeTableStateSteps(this.#state, writer, itemsPerStep);
  }

  /** About how many bytes snapshot() takes (a writer's initial size). */
  snapshotBytesHint(): number {
    return encodedBytesHint(this.#state);
  }

  /** Counters. */
  stats(): LockTableStats {
    const { locks, holderCount, waiterCount, lastToken, appliedIndex } = this.#state;
    return {
      locks: locks.size,
      holders: holderCount,
      waiters: waiterCount,
      lastToken,
      appliedIndex,
    };
  }
}
