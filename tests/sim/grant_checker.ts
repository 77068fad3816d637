import type {
  AcquireOutcome,
  Grant,
  LockApplyResult,
  LockMode,
  LockOp,
} from "../../src/locks/mod.ts";
import { InvariantError } from "./invariants.ts";

/** A grant the history says is held: from the op that granted it until the op that ends it. */
export interface HeldGrant {
  owner: string;
  mode: LockMode;
  /** Fencing token of the grant. */
  token: number;
  /** Log index of the op that granted it. */
  sinceIndex: number;
  /** Log index of the op that started or last renewed the lease (the table's lease index). */
  leaseIndex: number;
  /** Virtual time before which the lease must not expire: last renewal applied + its TTL. */
  leaseEndMs: number;
}

/** A parked wait the history says is queued. */
export interface ParkedWait {
  owner: string;
  mode: LockMode;
  /** The host-chosen id the grant must echo. */
  waiterId: number;
}

/** Default maximum of tokens plus ended waits remembered by one checker. */
export const GRANT_HISTORY_RECORDS_MAX = 1_000_000;

type Op<K extends LockOp["op"]> = Extract<LockOp, { op: K }>;

/**
 * Replays applied lock ops and their results in log order, keeping its own model of who holds
 * and who waits (independent of the table's code), and throws an `InvariantError` when:
 * - two grants of one lock are held at once and one of them is exclusive (mutual exclusion);
 * - a fencing token is handed out twice, or does not exceed every earlier token of its lock or
 *   of the whole table;
 * - a grant goes to a wait that is not parked (cancelled, replaced, refused, already granted);
 * - a result disagrees with the model (a release of an unheld grant answering true, ...);
 * - a lease ends by expiry before TTL ms of virtual time passed since its last renewal was first
 *   applied (grant, promotion, re-acquire, upgrade, downgrade, refresh): the leader counts a
 *   lease from its own application of the renewal (or from its later start), which is never
 *   earlier, so an expiry inside that window means a renewal was overtaken.
 */
export class GrantChecker {
  readonly #holders = new Map<string, Map<string, HeldGrant>>();
  /** Key `name\0owner` (one wait per owner and lock). */
  readonly #parked = new Map<string, ParkedWait & { name: string }>();
  readonly #lastTokenByLock = new Map<string, { token: number; index: number }>();
  /** Every token handed out: where and to whom (for reuse evidence). */
  readonly #tokens = new Map<number, string>();
  /** Why a wait ended (for the evidence of a grant to a wait that is no longer parked). */
  readonly #endedWaits = new Map<number, string>();
  readonly #recordsMax: number;
  #lastToken = 0;
  #lastIndex = 0;
  /** Grants started (new grants, promotions, upgrades). */
  grantCount = 0;
  /** Grants that promoted a parked wait. */
  promotionCount = 0;
  /** Grants ended by release, expiry or upgrade. */
  endCount = 0;
  /** Shared grants upgraded to exclusive ones (in place or by promotion). */
  upgradeCount = 0;
  /** Exclusive grants downgraded in place. */
  downgradeCount = 0;
  /** Re-acquires answered with the grant's own token. */
  reacquireCount = 0;

  /** `recordsMax` bounds tokens plus ended waits remembered; exceeding it throws. */
  constructor(recordsMax: number = GRANT_HISTORY_RECORDS_MAX) {
    this.#recordsMax = recordsMax;
  }

  /** Expiries checked against a lease window. */
  expireCount = 0;
  /** Successful refreshes (lease renewals without a grant). */
  refreshCount = 0;
  #nowMs = 0;

  /**
   * Feeds the op applied at log `index` (strictly increasing) and its result, first applied
   * (anywhere) at virtual time `nowMs` (non-decreasing).
   */
  onApply(index: number, op: LockOp, result: LockApplyResult, nowMs: number): void {
    if (index <= this.#lastIndex) {
      throw new Error(`Cannot check lock history: index ${index} after ${this.#lastIndex}`);
    }
    if (nowMs < this.#nowMs) {
      throw new Error(`Cannot check lock history: time ${nowMs} ms after ${this.#nowMs} ms`);
    }
    this.#lastIndex = index;
    this.#nowMs = nowMs;
    const at = `${op.op} ${op.name} by ${op.owner} at index ${index}`;
    if (op.op === "acquire") {
      if (typeof result.outcome !== "object") throw violation("lock result", `${at} got a boolean`);
      this.#acquire(index, op, result.outcome);
    } else {
      if (typeof result.outcome !== "boolean") {
        throw violation("lock result", `${at} got ${JSON.stringify(result.outcome)}`);
      }
      const expected = this.#expectedOutcome(op);
      if (result.outcome !== expected) {
        throw violation(
          "lock result",
          `${at} answered ${result.outcome}, history says ${expected}`,
        );
      }
      if (expected) this.#applyEnding(index, op);
    }
    for (const grant of result.grants) this.#promote(index, grant);
  }

  /** Grants of `name` the history says are held, in grant order. */
  holdersOf(name: string): HeldGrant[] {
    return [...(this.#holders.get(name)?.values() ?? [])];
  }

  /** Waits for `name` the history says are parked (in no particular order). */
  waitersOf(name: string): ParkedWait[] {
    const waits: ParkedWait[] = [];
    for (const { name: waitName, owner, mode, waiterId } of this.#parked.values()) {
      if (waitName === name) waits.push({ owner, mode, waiterId });
    }
    return waits;
  }

  #acquire(index: number, op: Op<"acquire">, outcome: AcquireOutcome): void {
    const held = this.#holders.get(op.name)?.get(op.owner);
    if (outcome.kind === "granted") {
      if (held?.token === outcome.token) {
        if (held.mode === op.mode) {
          this.reacquireCount++; // Re-acquire: the lease is renewed.
          this.#renew(held, index, op.ttlMs);
          return;
        }
        if (held.mode === "exclusive") {
          held.mode = "shared"; // Downgrade in place keeps the token and renews the lease.
          this.#renew(held, index, op.ttlMs);
          this.downgradeCount++;
          return;
        }
        throw violation(
          "fencing token order",
          `upgrade of ${op.name} by ${op.owner} at index ${index} kept token ${held.token}`,
        );
      }
      if (held !== undefined) this.#endUpgraded(index, op.name, held, op.mode);
      this.#start(index, op.name, op.owner, op.mode, outcome.token, op.ttlMs);
    } else if (outcome.kind === "queued") {
      if (!op.wait) {
        throw violation("lock result", `acquire without wait queued at index ${index}`);
      }
      this.#park(index, op, outcome.replacedWaiterId);
    }
  }

  #park(index: number, op: Op<"acquire">, replacedWaiterId: number | null): void {
    const key = waitKey(op.name, op.owner);
    const existing = this.#parked.get(key);
    const previousId = existing?.waiterId ?? null;
    const expectedReplaced = previousId === op.waiterId ? null : previousId;
    if (replacedWaiterId !== expectedReplaced) {
      throw violation(
        "lock result",
        `acquire ${op.name} by ${op.owner} at index ${index} replaced wait ${replacedWaiterId}, ` +
          `history has ${previousId} parked`,
      );
    }
    if (previousId !== null && previousId !== op.waiterId) {
      this.#endWait(previousId, `replaced at index ${index}`);
    }
    this.#parked.set(key, { name: op.name, owner: op.owner, mode: op.mode, waiterId: op.waiterId });
  }

  #expectedOutcome(op: Exclude<LockOp, Op<"acquire">>): boolean {
    if (op.op === "cancelWait") {
      return this.#parked.get(waitKey(op.name, op.owner))?.waiterId === op.waiterId;
    }
    const held = this.#holders.get(op.name)?.get(op.owner);
    if (held === undefined) return false;
    if (op.op === "expire") return held.token === op.token && held.leaseIndex === op.leaseIndex;
    return op.token === null || held.token === op.token;
  }

  #applyEnding(index: number, op: Exclude<LockOp, Op<"acquire">>): void {
    if (op.op === "cancelWait") {
      this.#parked.delete(waitKey(op.name, op.owner));
      this.#endWait(op.waiterId, `cancelled at index ${index}`);
    } else if (op.op === "refresh") {
      this.#renew(this.#holders.get(op.name)!.get(op.owner)!, index, op.ttlMs);
      this.refreshCount++;
    } else {
      if (op.op === "expire") this.#checkLeaseOver(index, op);
      this.#holders.get(op.name)?.delete(op.owner);
      this.endCount++;
    }
  }

  #renew(held: HeldGrant, index: number, ttlMs: number): void {
    held.leaseIndex = index;
    held.leaseEndMs = this.#nowMs + ttlMs;
  }

  #checkLeaseOver(index: number, op: Op<"expire">): void {
    const held = this.#holders.get(op.name)!.get(op.owner)!;
    this.expireCount++;
    if (this.#nowMs >= held.leaseEndMs) return;
    throw violation(
      "lease",
      `expire of ${op.name} by ${op.owner} (token ${op.token}) at index ${index}, ` +
        `${this.#nowMs} ms: the lease renewed at index ${held.leaseIndex} lasts until ` +
        `${held.leaseEndMs} ms`,
    );
  }

  #promote(index: number, grant: Grant): void {
    const key = waitKey(grant.name, grant.owner);
    const parked = this.#parked.get(key);
    const at = `grant of ${grant.name} to ${grant.owner} (waiter ${grant.waiterId}, token ` +
      `${grant.token}) at index ${index}`;
    if (parked === undefined || parked.waiterId !== grant.waiterId) {
      const why = this.#endedWaits.get(grant.waiterId) ?? "never parked";
      throw violation("grant to a parked wait", `${at}: that wait was ${why}`);
    }
    if (parked.mode !== grant.mode) {
      throw violation("lock result", `${at} is ${grant.mode}, the wait was ${parked.mode}`);
    }
    this.#parked.delete(key);
    this.#endWait(grant.waiterId, `granted at index ${index}`);
    const held = this.#holders.get(grant.name)?.get(grant.owner);
    if (held !== undefined) this.#endUpgraded(index, grant.name, held, grant.mode);
    this.#start(index, grant.name, grant.owner, grant.mode, grant.token, grant.ttlMs);
    this.promotionCount++;
  }

  /** An owner holding `name` got a grant with a new token: only a shared -> exclusive upgrade. */
  #endUpgraded(index: number, name: string, held: HeldGrant, mode: LockMode): void {
    if (held.mode !== "shared" || mode !== "exclusive") {
      throw violation(
        "fencing token order",
        `${held.owner} holds ${name} ${held.mode} with token ${held.token} and got a ${mode} ` +
          `grant with a new token at index ${index}`,
      );
    }
    this.#holders.get(name)?.delete(held.owner);
    this.endCount++;
    this.upgradeCount++;
  }

  #start(
    index: number,
    name: string,
    owner: string,
    mode: LockMode,
    token: number,
    ttlMs: number,
  ): void {
    const at = `${mode} grant of ${name} to ${owner} with token ${token} at index ${index}`;
    const seen = this.#tokens.get(token);
    if (seen !== undefined) throw violation("fencing token reuse", `${at}; already ${seen}`);
    const lockLast = this.#lastTokenByLock.get(name);
    if (lockLast !== undefined && token <= lockLast.token) {
      throw violation(
        "fencing token order",
        `${at} does not exceed token ${lockLast.token} of index ${lockLast.index}`,
      );
    }
    if (token <= this.#lastToken) {
      throw violation("fencing token order", `${at} does not exceed table-wide ${this.#lastToken}`);
    }
    let holders = this.#holders.get(name);
    if (holders === undefined) {
      holders = new Map();
      this.#holders.set(name, holders);
    }
    for (const other of holders.values()) {
      if (other.owner !== owner && (mode === "exclusive" || other.mode === "exclusive")) {
        throw violation(
          "mutual exclusion",
          `${at} while ${other.owner} holds it ${other.mode} with token ${other.token} since ` +
            `index ${other.sinceIndex}`,
        );
      }
    }
    this.#remember(this.#tokens, token, `${mode} grant of ${name} to ${owner} at index ${index}`);
    const leaseEndMs = this.#nowMs + ttlMs;
    holders.set(owner, { owner, mode, token, sinceIndex: index, leaseIndex: index, leaseEndMs });
    this.#lastTokenByLock.set(name, { token, index });
    this.#lastToken = token;
    this.grantCount++;
  }

  #endWait(waiterId: number, why: string): void {
    this.#remember(this.#endedWaits, waiterId, why);
  }

  #remember(records: Map<number, string>, key: number, text: string): void {
    if (this.#tokens.size + this.#endedWaits.size >= this.#recordsMax && !records.has(key)) {
      throw new Error(
        `Cannot check lock history: it holds the maximum of ${this.#recordsMax} records`,
      );
    }
    records.set(key, text);
  }
}

function waitKey(name: string, owner: string): string {
  return `${name}\u0000${owner}`;
}

function violation(property: string, detail: string): InvariantError {
  return new InvariantError(property, detail);
}
