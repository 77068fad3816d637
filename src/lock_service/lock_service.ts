import type { RespValue } from "../../protocol/resp/mod.ts";
import type { ReplyFn } from "../commands/command_table.ts";
import type { ClientSession } from "../commands/client_session.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import type { Logger } from "../log/logger.ts";
import type { AcquireOutcome, LockApplyResult, LockOp } from "../locks/mod.ts";
import type { MetaGroup } from "../meta/meta_group.ts";
import type {
  AcquireRequest,
  LockArgumentLimits,
  RefreshRequest,
  ReleaseRequest,
} from "./lock_arguments.ts";
import { LeaseExpiry } from "./lease_expiry.ts";
import { ParkedWaiters } from "./parked_waiters.ts";
import { errorLine } from "../commands/replies.ts";

/** Settings of the lock service. */
export interface LockServiceOptions extends LockArgumentLimits {
  /** Waits parked on this node at most; more get `-LIMIT`. */
  parkedMax: number;
  /** How often the leader looks for leases and waits that ran out. */
  expiryCheckMs: number;
  requestTimeoutMs: number;
}

/** The immediate answer of the leader to an acquire. */
export type LeaderAcquireAnswer =
  | { kind: "granted"; token: number }
  | { kind: "busy" }
  | { kind: "queued" }
  | { kind: "error"; line: string };

/** Sends a command to the current leader and returns its decoded reply (ClusterError if none). */
export type CallLeader = (args: string[]) => Promise<RespValue>;

const nullReply: ReplyFn = (out, version) => out.nullBulk(version);
const errorReply = (line: string): ReplyFn => (out) => out.error(line);
const integerReply = (value: number): ReplyFn => (out) => out.integer(value);

/**
 * LOCK.* on one node. Any node parks a client's wait (it owns the waiter id, so it can cancel
 * through the log when the wait times out or the client leaves); the leader proposes every
 * operation and, from its own clock, proposes the expiry of leases and orphaned waits.
 */
export class LockService {
  readonly #meta: MetaGroup;
  readonly #options: LockServiceOptions;
  readonly #logger: Logger;
  readonly #callLeader: CallLeader;
  readonly #expiry: LeaseExpiry;
  readonly #parked: ParkedWaiters;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    meta: MetaGroup,
    options: LockServiceOptions,
    callLeader: CallLeader,
    logger: Logger,
  ) {
    this.#meta = meta;
    this.#options = options;
    this.#callLeader = callLeader;
    this.#logger = logger.with({ component: "locks" });
    this.#parked = new ParkedWaiters(options.parkedMax);
    this.#expiry = new LeaseExpiry({
      isLeader: () => this.#isLeader(),
      table: () => meta.state.locks,
      propose: (op) => this.#propose(op, 0),
      nowMs: () => performance.now(),
      waitMaxMs: options.waitMaxMs,
      onProposeError: (error) =>
        this.#logger.debug("expiry proposal failed; retrying", { error: errorLine(error) }),
    });
    meta.state.onLock = (_index, op, waitMs, result) => this.#applied(op, waitMs, result);
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

  /** LOCK.ACQUIRE from a client: park if it may wait, propose through the leader, answer. */
  async acquire(request: AcquireRequest, session: ClientSession): Promise<ReplyFn> {
    const waiterId = randomWaiterId();
    let parked: Promise<number | null> | null = null;
    if (request.waitMs > 0) {
      parked = this.#parked.park(waiterId);
      if (parked === null) {
        return errorReply(`LIMIT ${this.#options.parkedMax} waits already parked on this node`);
      }
    }
    let answer: LeaderAcquireAnswer;
    try {
      answer = this.#isLeader()
        ? await this.leaderAcquire({ ...request, waiterId })
        : await this.#forwardAcquire(request, waiterId);
    } catch (error) {
      this.#parked.drop(waiterId);
      // Anything but a ClusterError is a bug: the connection's guard logs and answers it.
      if (!(error instanceof ClusterError)) throw error;
      return errorReply(error.message);
    }
    if (answer.kind !== "queued") this.#parked.drop(waiterId);
    if (answer.kind === "granted") return integerReply(answer.token);
    if (answer.kind === "busy") return nullReply;
    if (answer.kind === "error") return errorReply(answer.line);
    return await this.#awaitGrant(request, waiterId, parked!, session);
  }

  /** Leader: proposes an acquire; the immediate outcome (a parked wait answers later). */
  async leaderAcquire(
    request: AcquireRequest & { waiterId: number },
  ): Promise<LeaderAcquireAnswer> {
    const op: LockOp = {
      op: "acquire",
      name: request.name,
      owner: request.owner,
      mode: request.mode,
      ttlMs: request.ttlMs,
      wait: request.waitMs > 0,
      waiterId: request.waiterId,
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

  /** Leader, after a ReadIndex barrier: LOCK.INFO's reply. */
  async info(name: string): Promise<ReplyFn> {
    await this.#meta.host.readBarrier();
    const info = this.#meta.state.locks.info(name);
    const now = performance.now();
    const holders = info.holders.map((holder) => ({
      ...holder,
      remainingMs: this.#expiry.tracker.remainingMs(name, holder.owner, holder.token, now) ??
        holder.ttlMs,
    }));
    return (out) => {
      out.arrayHeader(3);
      out.bulk(info.mode);
      out.arrayHeader(holders.length);
      for (const holder of holders) {
        out.arrayHeader(3);
        out.bulk(holder.owner);
        out.integer(holder.token);
        out.integer(holder.remainingMs);
      }
      out.arrayHeader(info.waiters.length);
      for (const waiter of info.waiters) {
        out.arrayHeader(2);
        out.bulk(waiter.owner);
        out.bulk(waiter.mode);
      }
    };
  }

  /** INFO locks. */
  infoSection(): Array<[string, string | number]> {
    const stats = this.#meta.state.locks.stats();
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
    return this.#meta.status().role === "leader";
  }

  async #propose(op: LockOp, waitMs: number): Promise<LockApplyResult> {
    const result = await this.#meta.proposeCommand({ op: "lock", waitMs, lock: op });
    if (result.kind !== "lock") {
      throw new ClusterError("ERR", "lock entry applied without a result");
    }
    return result.result;
  }

  async #forwardAcquire(request: AcquireRequest, waiterId: number): Promise<LeaderAcquireAnswer> {
    const reply = await this.#callLeader([
      "LOCK.ACQUIRE",
      request.name,
      request.owner,
      request.mode.toUpperCase(),
      "TTL",
      String(request.ttlMs),
      "WAIT",
      String(request.waitMs),
      "WAITERID",
      String(waiterId),
    ]);
    if (reply.type === "integer") return { kind: "granted", token: reply.value };
    if (reply.type === "null") return { kind: "busy" };
    if (reply.type === "simple" && reply.value === "QUEUED") return { kind: "queued" };
    if (reply.type === "error") return { kind: "error", line: reply.value };
    return { kind: "error", line: `ERR unexpected ${reply.type} reply from the leader` };
  }

  /** Waits for the grant; on WAIT timeout or client exit, cancels through the log. */
  async #awaitGrant(
    request: AcquireRequest,
    waiterId: number,
    parked: Promise<number | null>,
    session: ClientSession,
  ): Promise<ReplyFn> {
    const cancel = () => void this.#cancelThroughLog(request, waiterId);
    const timer = setTimeout(cancel, request.waitMs);
    const removeHook = session.onClose(cancel);
    try {
      const token = await parked;
      return token === null ? nullReply : integerReply(token);
    } catch (error) {
      return errorReply(errorLine(error));
    } finally {
      clearTimeout(timer);
      removeHook();
    }
  }

  /** Cancels a parked wait; if a grant won the race, the parked promise resolves with it. */
  async #cancelThroughLog(request: AcquireRequest, waiterId: number): Promise<void> {
    if (!this.#parked.has(waiterId)) return;
    try {
      const cancelled = this.#isLeader()
        ? await this.cancelWait(request.name, request.owner, waiterId)
        : await this.#forwardCancel(request, waiterId);
      if (cancelled) this.#parked.resolve(waiterId, null);
      else this.#parked.expectGrant(waiterId, this.#options.requestTimeoutMs);
    } catch (error) {
      this.#logger.warn("could not cancel a wait; the leader will expire it", {
        lock: request.name,
        owner: request.owner,
        error: errorLine(error),
      });
      this.#parked.fail(
        waiterId,
        new ClusterError("TIMEOUT", "wait ended but its cancellation is unconfirmed"),
      );
    }
  }

  async #forwardCancel(request: AcquireRequest, waiterId: number): Promise<boolean> {
    const reply = await this.#callLeader([
      "LOCK.CANCELWAIT",
      request.name,
      request.owner,
      String(waiterId),
    ]);
    if (reply.type === "integer") return reply.value === 1;
    throw new ClusterError("TIMEOUT", reply.type === "error" ? reply.value : "unexpected reply");
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

function answerOf(outcome: AcquireOutcome): LeaderAcquireAnswer {
  switch (outcome.kind) {
    case "granted":
      return { kind: "granted", token: outcome.token };
    case "busy":
      return { kind: "busy" };
    case "queued":
      return { kind: "queued" };
    case "deadlock":
      return { kind: "error", line: `DEADLOCK ${outcome.cycle.join(" -> ")}` };
    case "limit":
      return { kind: "error", line: `LIMIT ${outcome.message}` };
    case "invalid":
      return { kind: "error", line: `ERR ${outcome.message}` };
  }
}

/** A random 48-bit waiter id: unique across nodes without coordination. */
function randomWaiterId(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! & 0xffff) * 2 ** 32 + words[1]!;
}
