import type { CommandCall, CommandSpec, ReplyFn } from "../commands/command_table.ts";
import {
  parseAcquire,
  parseCancelWait,
  parseInfoName,
  parseRefresh,
  parseRelease,
} from "./lock_arguments.ts";
import { errorReply } from "../commands/replies.ts";

const REPLY_ONE: ReplyFn = (out) => out.integer(1);
const REPLY_ZERO: ReplyFn = (out) => out.integer(0);

/** `:1` or `:0` (two shared replies, not a closure per command). */
function bool(value: boolean): ReplyFn {
  return value ? REPLY_ONE : REPLY_ZERO;
}

function acquire(call: CommandCall): void | Promise<ReplyFn> {
  const { services, session } = call;
  const request = parseAcquire(call.args, services.lockLimits, session.forwarded);
  if (typeof request === "string") return call.out.error(request);
  if (!session.forwarded) return services.locks.acquire(request, session);
  // Forwarded by another node, which parks the wait itself: answer the immediate outcome.
  const waiterId = request.waiterId ?? 0;
  return services.onLeader(
    call,
    () =>
      services.locks.leaderAcquire({ ...request, waiterId }).then((answer): ReplyFn => {
        switch (answer.kind) {
          case "granted":
            return (out) => out.integer(answer.token);
          case "busy":
            return (out, version) => out.nullBulk(version);
          case "queued":
            return (out) => out.simple("QUEUED");
          case "error":
            return (out) => out.error(answer.line);
        }
      }, errorReply),
  );
}

function release(call: CommandCall): void | Promise<ReplyFn> {
  const request = parseRelease(call.args);
  if (typeof request === "string") return call.out.error(request);
  const locks = call.services.locks;
  return call.services.onLeader(call, () => locks.release(request).then(bool, errorReply));
}

function refresh(call: CommandCall): void | Promise<ReplyFn> {
  const request = parseRefresh(call.args, call.services.lockLimits);
  if (typeof request === "string") return call.out.error(request);
  const locks = call.services.locks;
  return call.services.onLeader(call, () => locks.refresh(request).then(bool, errorReply));
}

function info(call: CommandCall): void | Promise<ReplyFn> {
  const parsed = parseInfoName(call.args);
  if (typeof parsed === "string") return call.out.error(parsed);
  const name = parsed.name;
  const locks = call.services.locks;
  return call.services.onLeader(call, () => locks.info(name).catch(errorReply));
}

function cancelWait(call: CommandCall): void | Promise<ReplyFn> {
  const request = parseCancelWait(call.args);
  if (typeof request === "string") return call.out.error(request);
  const { name, owner, waiterId } = request;
  const locks = call.services.locks;
  return call.services.onLeader(
    call,
    () => locks.cancelWait(name, owner, waiterId).then(bool, errorReply),
  );
}

/** LOCK.ACQUIRE, LOCK.RELEASE, LOCK.REFRESH, LOCK.INFO (and the internal LOCK.CANCELWAIT). */
export const LOCK_COMMANDS: readonly CommandSpec[] = [
  {
    name: "lock.acquire",
    arity: -3,
    flags: ["write", "blocking"],
    summary: "Acquire a lock: fencing token, or null when not granted within WAIT",
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    handler: acquire,
  },
  {
    name: "lock.release",
    arity: -3,
    flags: ["write"],
    summary: "Release a lock held by owner (only the grant with TOKEN when given)",
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    handler: release,
  },
  {
    name: "lock.refresh",
    arity: -4,
    flags: ["write"],
    summary: "Extend the lease of a lock held by owner",
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    handler: refresh,
  },
  {
    name: "lock.info",
    arity: 2,
    flags: ["readonly"],
    summary: "Mode, holders [owner, token, ttl-remaining-ms] and waiters [owner, mode]",
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    handler: info,
  },
  {
    name: "lock.cancelwait",
    arity: 4,
    flags: ["write", "internal"],
    summary: "Internal: cancel a parked wait (sent by the node that parked it)",
    handler: cancelWait,
  },
];
