import type { AcquireOutcome, LockApplyResult, LockOp, LockTable } from "../../src/locks/mod.ts";
import type { NodeId } from "../../src/raft/mod.ts";
import { GrantChecker } from "./grant_checker.ts";
import { InvariantError } from "./invariants.ts";

/** A lock op applied at some index, with what the table answered. */
export interface AppliedLockOp {
  op: LockOp;
  result: LockApplyResult;
}

/** Recent grants kept for clients that send stale tokens. */
export const RECENT_GRANTS_MAX = 32;

/**
 * What the replicated lock table produced at each log index, recorded by the first node to
 * apply it and checked on every other node: the same index must give the same result and the
 * same table (snapshot bytes), and a restored snapshot must equal the table at its index. The
 * first application of each index feeds the `GrantChecker`, so the grant history is checked
 * once, in log order.
 */
export class LockHistory {
  /** The grant history checker (log order). */
  readonly grants = new GrantChecker();
  /** Recent grants, newest last (at most RECENT_GRANTS_MAX). */
  readonly recentGrants: { name: string; owner: string; token: number }[] = [];
  /** Records a line in the run's trace (set by the workload). */
  note: (text: string) => void = () => {};
  /** Lock ops applied (first application of each index). */
  opCount = 0;
  /** Lock ops applied again on another node and found identical. */
  replayCount = 0;
  /** Snapshot restores checked. */
  restoreCount = 0;
  /** Acquire outcomes by kind (first application). */
  readonly outcomeCounts = new Map<string, number>();
  /** Index -> table snapshot after applying it (as a byte string); 0 is the empty table. */
  readonly #stateAt = new Map<number, string>();
  /** Index -> the lock op there and its result, as JSON ("" for other entries). */
  readonly #resultAt = new Map<number, string>();
  /** Index -> the node that applied it first. */
  readonly #firstAt = new Map<number, NodeId>();

  /**
   * Node `id` applied entry `index` (lock op or not) at virtual time `nowMs` and now holds the
   * table `stateKey`.
   */
  onApply(
    id: NodeId,
    index: number,
    stateKey: string,
    applied: AppliedLockOp | null,
    table: LockTable,
    nowMs: number,
  ): void {
    const resultText = applied === null ? "" : JSON.stringify(applied);
    const known = this.#stateAt.get(index);
    if (known === undefined) {
      this.#stateAt.set(index, stateKey);
      this.#resultAt.set(index, resultText);
      this.#firstAt.set(index, id);
      if (applied !== null) this.#first(index, applied, table, nowMs);
      return;
    }
    const knownResult = this.#resultAt.get(index);
    if (knownResult !== resultText) {
      throw new InvariantError(
        "lock state machine safety",
        `${id} at index ${index}: ${resultText}; first applied by ${this.#firstAt.get(index)} ` +
          `as ${knownResult}`,
      );
    }
    if (known !== stateKey) {
      throw new InvariantError(
        "lock state machine safety",
        `${id} table after index ${index} (${resultText}) differs from that of ` +
          `${this.#firstAt.get(index)}, which applied it first`,
      );
    }
    if (applied !== null) this.replayCount++;
  }

  /** Node `id` restored a snapshot at `index` holding the table `stateKey`. */
  onRestore(id: NodeId, index: number, stateKey: string): void {
    this.restoreCount++;
    const known = index === 0 ? undefined : this.#stateAt.get(index);
    if (index === 0 || known === stateKey) return;
    throw new InvariantError(
      "lock snapshot safety",
      known === undefined
        ? `${id} restored a lock table at index ${index}, never applied`
        : `${id} restored a lock table at index ${index} that differs from the applied one`,
    );
  }

  #first(index: number, applied: AppliedLockOp, table: LockTable, nowMs: number): void {
    const { op, result } = applied;
    this.opCount++;
    this.note(`#${index} ${describeApplied(applied)}`);
    if (typeof result.outcome === "object") {
      const kind = result.outcome.kind;
      this.outcomeCounts.set(kind, (this.outcomeCounts.get(kind) ?? 0) + 1);
    }
    this.grants.onApply(index, op, result, nowMs);
    this.#crossCheck(index, op.name, table);
    const granted = grantedTokens(op, result);
    this.recentGrants.push(...granted);
    this.recentGrants.splice(0, Math.max(0, this.recentGrants.length - RECENT_GRANTS_MAX));
  }

  /** The checker's model and the table agree on who holds and who waits for `name`. */
  #crossCheck(index: number, name: string, table: LockTable): void {
    const info = table.info(name);
    const tableHolders = info.holders.map((h) => `${h.owner}:${h.token}`).sort().join(",");
    const modelHolders = this.grants.holdersOf(name).map((h) => `${h.owner}:${h.token}`).sort()
      .join(",");
    const tableWaits = info.waiters.map((w) => `${w.owner}:${w.waiterId}`).sort().join(",");
    const modelWaits = this.grants.waitersOf(name).map((w) => `${w.owner}:${w.waiterId}`).sort()
      .join(",");
    if (tableHolders !== modelHolders || tableWaits !== modelWaits) {
      throw new InvariantError(
        "lock history model",
        `after index ${index} lock ${name}: table holders [${tableHolders}] waiters ` +
          `[${tableWaits}], history holders [${modelHolders}] waiters [${modelWaits}]`,
      );
    }
  }
}

function grantedTokens(
  op: LockOp,
  result: LockApplyResult,
): { name: string; owner: string; token: number }[] {
  const out = result.grants.map(({ name, owner, token }) => ({ name, owner, token }));
  const outcome = result.outcome;
  if (typeof outcome === "object" && outcome.kind === "granted") {
    out.unshift({ name: op.name, owner: op.owner, token: outcome.token });
  }
  return out;
}

/** One line describing an applied op, e.g. `acquire a o1 exclusive wait=1 w7 -> granted 12`. */
export function describeApplied({ op, result }: AppliedLockOp): string {
  let text = `${op.op} ${op.name} ${op.owner}`;
  switch (op.op) {
    case "acquire":
      text += ` ${op.mode} ttl=${op.ttlMs} wait=${op.wait ? 1 : 0} w${op.waiterId}`;
      break;
    case "release":
      text += ` token=${op.token}`;
      break;
    case "refresh":
      text += ` ttl=${op.ttlMs} token=${op.token}`;
      break;
    case "expire":
      text += ` token=${op.token} lease=${op.leaseIndex}`;
      break;
    case "cancelWait":
      text += ` w${op.waiterId}`;
      break;
  }
  const outcome = typeof result.outcome === "boolean"
    ? String(result.outcome)
    : describeOutcome(result.outcome);
  const grants = result.grants.map((g) => ` +${g.owner}:${g.mode}:${g.token}(w${g.waiterId})`);
  return `${text} -> ${outcome}${grants.join("")}`;
}

function describeOutcome(outcome: AcquireOutcome): string {
  switch (outcome.kind) {
    case "granted":
      return `granted ${outcome.token}`;
    case "queued":
      return outcome.replacedWaiterId === null ? "queued" : `queued (w${outcome.replacedWaiterId})`;
    case "deadlock":
      return `deadlock ${outcome.cycle.join(">")}`;
    default:
      return outcome.kind;
  }
}
