import { ClusterError, type Refusal } from "../consensus/cluster_error.ts";
import type { Logger } from "../log/logger.ts";
import type { AcquireOutcome, LockApplyResult, LockMode, LockOp } from "../locks/mod.ts";
import { encodeLockEntry, type LockMachine, lockResultOf } from "./lock_machine.ts";
import type { MetaGroup } from "../meta/meta_group.ts";
import type {
  AcquireRequest,
  LockArgumentLimits,
  RefreshRequest,
  ReleaseRequest,
} from "./lock_arguments.ts";
import { LeaseExpiry } from "./lease_expiry.ts";
import { ParkedWaiters } from "./parked_waiters.ts";

/** Settings of the lock service. */
export interface LockServiceOptions extends LockArgumentLimits {
  /** Waits parked on this node at most; more get `-LIMIT`. */
  parkedMax: number;
  /** How often the leader looks for leases and waits that ran out. */
  expiryCheckMs: number;
  requestTimeoutMs: number;
}

/** The leader's immediate answer to an acquire (a queued wait is answered later, by a grant). */
export type AcquireAnswer =
  | { kind: "granted"; token: number }
  | { kind: "busy" }
  | { kind: "queued" }
  | { kind: "refused"; refusal: Refusal };

/** LOCK.INFO's answer: mode, holders with their remaining lease, waiters in order. */
export interface LockInfoView {
  mode: "none" | LockMode;
  holders: Array<{ owner: string; token: number; remainingMs: number }>;
  waiters: Array<{ owner: string; mode: LockMode }>;
}

/** A wait parked on this node: its id and the grant (token) or its end without one (null). */
export interface ParkedLockWait {
  id: number;
  granted: Promise<number | null>;
}

/**
 * Cancels a parked wait on the lock table's leader wherever it is (the node's router runs or
 * forwards it); true when it was still waiting, ClusterError when that is unknown.
 */
export type CancelWaitOnLeader = (
  name: string,
  owner: string,
  waiterId: number,
) => Promise<boolean>;

/**
 * Locks on one node, in domain terms (no RESP: the command layer, lock_commands.ts, speaks it).
 * Any node parks a client's wait (it owns the waiter id, so it can cancel through the log when
 * the wait times out or the client leaves); the leader proposes every operation and, from its own
 * clock, proposes the expiry of leases and orphaned waits.
 */
export class LockService {
  readonly #meta: MetaGroup;
  readonly #machine: LockMachine;
  readonly #options: LockServiceOptions;
  readonly #logger: Logger;
  readonly #cancelOnLeader: CancelWaitOnLeader;
  readonly #expiry: LeaseExpiry;
  readonly #parked: ParkedWaiters;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `machine`: the lock table's state machine, registered in `meta`. */
  constructor(
    meta: MetaGroup,
    machine: LockMachine,
    options: LockServiceOptions,
    cancelOnLeader: CancelWaitOnLeader,
    logger: Logger,
  ) {
    this.#meta = meta;
    this.#machine = machine;
    this.#options = options;
    this.#cancelOnLeader = cancelOnLeader;
    this.#logger = logger.with({ component: "locks" });
    this.#parked = new ParkedWaiters(options.parkedMax);
    this.#expiry = new LeaseExpiry({
      isLeader: () => this.#isLeader(),
      table: () => this.#machine.table,
      propose: (op) => this.#propose(op, 0),
      nowMs: () => performance.now(),
      waitMaxMs: options.waitMaxMs,
      onProposeError: (error) =>
        this.#logger.debug("expiry proposal failed; retrying", { error: messageOf(error) }),
    });
    machine.onApplied = (_index, op, waitMs, result) => this.#applied(op, waitMs, result);
  }

  /** Starts the leader's expiry checks. */
  start(): void {
    this.#timer = setInterval(() => this.#expiry.check(), this.#options.expiryCheckMs);
  }

  /** Stops timers; parked clients get TRYAGAIN. */
  stop(): void {
    clearInterval(this.#timer);
    this.#parked.failAll();
  }

  /** Parks a wait here under a fresh random id; a LIMIT refusal when too many are parked. */
  park(): ParkedLockWait | { refused: Refusal } {
    const id = randomWaiterId();
    const granted = this.#parked.park(id);
    if (granted === null) {
      const message = `${this.#options.parkedMax} waits already parked on this node`;
      return { refused: { code: "LIMIT", message } };
    }
    return { id, granted };
  }

  /** The leader answered the acquire at once: the parked wait ends here. */
  drop(waiterId: number): void {
    this.#parked.drop(waiterId);
  }

  /**
   * The leader queued the wait: resolves with the token of its grant, or null when `waitMs` ran
   * out or the client left (`onClose` registers that hook), cancelling the wait through the log.
   */
  async awaitGrant(
    request: AcquireRequest,
    wait: ParkedLockWait,
    onClose: (hook: () => void) => () => void,
  ): Promise<number | null> {
    const cancel = () => void this.#cancelThroughLog(request, wait.id);
    const timer = setTimeout(cancel, request.waitMs);
    const removeHook = onClose(cancel);
    try {
      return await wait.granted;
    } finally {
      clearTimeout(timer);
      removeHook();
    }
  }

  /** Leader: proposes an acquire; the immediate outcome (a parked wait answers later). */
  async acquire(request: AcquireRequest, waiterId: number): Promise<AcquireAnswer> {
    const op: LockOp = {
      op: "acquire",
      name: request.name,
      owner: request.owner,
      mode: request.mode,
      ttlMs: request.ttlMs,
      wait: request.waitMs > 0,
      waiterId,
    };
    return answerOf((await this.#propose(op, request.waitMs)).outcome as AcquireOutcome);
  }

  /** Leader: releases; true when the owner held it. */
  async release(request: ReleaseRequest): Promise<boolean> {
    const op: LockOp = { op: "release", ...request };
    return (await this.#propose(op, 0)).outcome === true;
  }

  /** Leader: refreshes a lease; true when held. */
  async refresh(request: RefreshRequest): Promise<boolean> {
    const op: LockOp = { op: "refresh", ...request };
    return (await this.#propose(op, 0)).outcome === true;
  }

  /** Leader: cancels a parked wait; true when it was still waiting. */
  async cancelWait(name: string, owner: string, waiterId: number): Promise<boolean> {
    return (await this.#propose({ op: "cancelWait", name, owner, waiterId }, 0)).outcome === true;
  }

  /** Leader, after a ReadIndex barrier: a lock's mode, holders and waiters. */
  async info(name: string): Promise<LockInfoView> {
    await this.#meta.host.readBarrier();
    const info = this.#machine.table.info(name);
    const now = performance.now();
    const holders = info.holders.map((holder) => ({
      ...holder,
      remainingMs: this.#expiry.tracker.remainingMs(name, holder.owner, holder.token, now) ??
        holder.ttlMs,
    }));
    return { mode: info.mode, holders, waiters: info.waiters };
  }

  /** Waits parked on this node. */
  get parkedCount(): number {
    return this.#parked.size;
  }

  /** INFO locks. */
  infoSection(): Array<[string, string | number]> {
    const stats = this.#machine.table.stats();
    const tracked = this.#expiry.tracker.counts();
    return [
      ["locks", stats.locks],
      ["lock_holders", stats.holders],
      ["lock_waiters", stats.waiters],
      ["last_fencing_token", stats.lastToken],
      ["waits_parked_here", this.#parked.size],
      ["leases_tracked", tracked.leases],
    ];
  }

  #isLeader(): boolean {
    return this.#meta.host.leading;
  }

  async #propose(op: LockOp, waitMs: number): Promise<LockApplyResult> {
    return lockResultOf(await this.#meta.proposeMachine(encodeLockEntry({ waitMs, lock: op })));
  }

  /** Cancels a parked wait; if a grant won the race, the parked promise resolves with it. */
  async #cancelThroughLog(request: AcquireRequest, waiterId: number): Promise<void> {
    if (!this.#parked.has(waiterId)) return;
    try {
      const cancelled = await this.#cancelOnLeader(request.name, request.owner, waiterId);
      if (cancelled) this.#parked.resolve(waiterId, null);
      else this.#parked.expectGrant(waiterId, this.#options.requestTimeoutMs);
    } catch (error) {
      this.#logger.warn("could not cancel a wait; the leader will expire it", {
        lock: request.name,
        owner: request.owner,
        error: messageOf(error),
      });
      this.#parked.fail(
        waiterId,
        new ClusterError("TIMEOUT", "wait ended but its cancellation is unconfirmed"),
      );
    }
  }

  /** Every node: follow applied lock operations (grants to parked waits, lease deadlines). */
  #applied(op: LockOp, waitMs: number, result: LockApplyResult): void {
    this.#expiry.applied(op, waitMs, result);
    for (const grant of result.grants) this.#parked.resolve(grant.waiterId, grant.token);
    if (op.op === "cancelWait" && result.outcome === true) {
      // Whoever cancelled it (this node's timer, the leader's wait expiry): it ends ungranted.
      this.#parked.resolve(op.waiterId, null);
    }
    const outcome = result.outcome;
    if (
      typeof outcome === "object" && outcome.kind === "queued" && outcome.replacedWaiterId !== null
    ) {
      // The same owner queued again for this lock: its earlier wait ends ungranted.
      this.#parked.resolve(outcome.replacedWaiterId, null);
    }
  }
}

function answerOf(outcome: AcquireOutcome): AcquireAnswer {
  switch (outcome.kind) {
    case "granted":
      return { kind: "granted", token: outcome.token };
    case "busy":
      return { kind: "busy" };
    case "queued":
      return { kind: "queued" };
    case "deadlock":
      return {
        kind: "refused",
        refusal: { code: "DEADLOCK", message: outcome.cycle.join(" -> ") },
      };
    case "limit":
      return { kind: "refused", refusal: { code: "LIMIT", message: outcome.message } };
    case "invalid":
      return { kind: "refused", refusal: { code: "ERR", message: outcome.message } };
  }
}

/** Random words drawn at once for waiter ids (two per id): one crypto call per 256 acquires. */
const WAITER_ID_WORDS = new Uint32Array(512);
let waiterIdWordIndex = WAITER_ID_WORDS.length;

/** A random 48-bit waiter id: unique across nodes without coordination. */
function randomWaiterId(): number {
  if (waiterIdWordIndex === WAITER_ID_WORDS.length) {
    crypto.getRandomValues(WAITER_ID_WORDS);
    waiterIdWordIndex = 0;
  }
  const high = WAITER_ID_WORDS[waiterIdWordIndex]! & 0xffff;
  const low = WAITER_ID_WORDS[waiterIdWordIndex + 1]!;
  waiterIdWordIndex += 2;
  return high * 2 ** 32 + low;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
