import type { RespWriter } from "../../protocol/resp/mod.ts";
import type { CommandCall, CommandSpec, ReplyFn } from "../commands/command_table.ts";
import { type BlockingWait, QUEUED_REPLY } from "../commands/route.ts";
import { errorReply } from "../commands/replies.ts";
import type { Refusal } from "../consensus/cluster_error.ts";
import {
  type LockArgumentLimits,
  parseAcquire,
  parseCancelWait,
  parseInfoName,
  parseRefresh,
  parseRelease,
} from "./lock_arguments.ts";
import type { AcquireAnswer, LockInfoView, LockService } from "./lock_service.ts";

const REPLY_ONE: ReplyFn = (out) => out.integer(1);
const REPLY_ZERO: ReplyFn = (out) => out.integer(0);

/** `:1` or `:0` (two shared replies, not a closure per command). */
function bool(value: boolean): ReplyFn {
  return value ? REPLY_ONE : REPLY_ZERO;
}

function refusalReply(refusal: Refusal): ReplyFn {
  const line = `${refusal.code} ${refusal.message}`;
  return (out) => out.error(line);
}

/** The RESP reply of an acquire's immediate answer (`QUEUED_REPLY` goes to the parked wait). */
function acquireReply(answer: AcquireAnswer): ReplyFn {
  switch (answer.kind) {
    case "granted":
      return (out) => out.integer(answer.token);
    case "busy":
      return (out, version) => out.nullBulk(version);
    case "queued":
      return QUEUED_REPLY;
    case "refused":
      return refusalReply(answer.refusal);
  }
}

function writeInfo(out: RespWriter, info: LockInfoView): void {
  out.arrayHeader(3);
  out.bulk(info.mode);
  out.arrayHeader(info.holders.length);
  for (const holder of info.holders) {
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
}

/**
 * LOCK.ACQUIRE, LOCK.RELEASE, LOCK.REFRESH, LOCK.INFO (and the internal LOCK.CANCELWAIT), each
 * routed to the meta group's leader (the lock table lives in the meta group for now). The
 * handlers close over `locks`; an acquire with WAIT parks its client's wait on the node the client
 * talks to (`wait`) and is woken there by the applied grant.
 */
export function lockCommands(locks: LockService, limits: LockArgumentLimits): CommandSpec[] {
  const wait: BlockingWait = {
    park(call) {
      const request = parseAcquire(call.args, limits);
      // A malformed call is answered by the handler; WAIT 0 tries once and parks nothing.
      if (typeof request === "string" || request.waitMs === 0) return null;
      const parked = locks.park();
      if ("refused" in parked) return parked;
      return {
        id: parked.id,
        settle: (session) =>
          locks.awaitGrant(request, parked, (hook) => session.onClose(hook)).then(
            (token): ReplyFn =>
              token === null
                ? (out, version) => out.nullBulk(version)
                : (out) => out.integer(token),
            errorReply,
          ),
        drop: () => locks.drop(parked.id),
      };
    },
  };

  function acquire(call: CommandCall): void | Promise<ReplyFn> {
    const request = parseAcquire(call.args, limits);
    if (typeof request === "string") return call.out.error(request);
    const waiterId = call.target!.parkedWaitId;
    if (request.waitMs > 0 && waiterId === 0) {
      throw new Error("an acquire with WAIT arrived without a parked wait");
    }
    return locks.acquire(request, waiterId).then(acquireReply, errorReply);
  }

  function release(call: CommandCall): void | Promise<ReplyFn> {
    const request = parseRelease(call.args);
    if (typeof request === "string") return call.out.error(request);
    return locks.release(request).then(bool, errorReply);
  }

  function refresh(call: CommandCall): void | Promise<ReplyFn> {
    const request = parseRefresh(call.args, limits);
    if (typeof request === "string") return call.out.error(request);
    return locks.refresh(request).then(bool, errorReply);
  }

  function info(call: CommandCall): void | Promise<ReplyFn> {
    const parsed = parseInfoName(call.args);
    if (typeof parsed === "string") return call.out.error(parsed);
    return locks.info(parsed.name).then(
      (view): ReplyFn => (out) => writeInfo(out, view),
      errorReply,
    );
  }

  function cancelWait(call: CommandCall): void | Promise<ReplyFn> {
    const request = parseCancelWait(call.args);
    if (typeof request === "string") return call.out.error(request);
    const { name, owner, waiterId } = request;
    return locks.cancelWait(name, owner, waiterId).then(bool, errorReply);
  }

  const key = { firstKey: 1, lastKey: 1, keyStep: 1 } as const;
  return [
    {
      name: "lock.acquire",
      categories: ["lock"],
      arity: -3,
      flags: ["write", "blocking"],
      summary: "Acquire a lock: fencing token, or null when not granted within WAIT",
      ...key,
      route: "meta",
      wait,
      handler: acquire,
    },
    {
      name: "lock.release",
      categories: ["lock"],
      arity: -3,
      flags: ["write"],
      summary: "Release a lock held by owner (only the grant with TOKEN when given)",
      ...key,
      route: "meta",
      handler: release,
    },
    {
      name: "lock.refresh",
      categories: ["lock"],
      arity: -4,
      flags: ["write"],
      summary: "Extend the lease of a lock held by owner",
      ...key,
      route: "meta",
      handler: refresh,
    },
    {
      name: "lock.info",
      categories: ["lock"],
      arity: 2,
      flags: ["readonly"],
      summary: "Mode, holders [owner, token, ttl-remaining-ms] and waiters [owner, mode]",
      ...key,
      route: "meta",
      handler: info,
    },
    {
      name: "lock.cancelwait",
      categories: ["lock"],
      arity: 4,
      flags: ["write", "internal"],
      summary: "Internal: cancel a parked wait (sent by the node that parked it)",
      route: "meta",
      handler: cancelWait,
    },
  ];
}
