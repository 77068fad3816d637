import { type RespValue, RespWriter } from "../../protocol/resp/mod.ts";
import type { PeerMessageOf } from "../../protocol/peer/mod.ts";
import { ClientSession } from "../commands/client_session.ts";
import type { CommandCall, CommandSpec, CommandTable, ReplyFn } from "../commands/command_table.ts";
import type { NodeServices } from "../commands/node_services.ts";
import { QUEUED_REPLY, type RouteTarget } from "../commands/route.ts";
import { errorReply, internalErrorLine } from "../commands/replies.ts";
import { ClusterError, noLeaderError } from "../consensus/cluster_error.ts";
import type { Logger } from "../log/logger.ts";
import { keySlot } from "../placement/key_slot.ts";
import type { Forwarder } from "./forwarder.ts";
import { decodeReply } from "./decode_reply.ts";

/** This node's view of the Raft groups that commands route to. */
export interface RouteGroups {
  /** The group that runs commands routed to the meta group. */
  metaGroupId: number;
  /** The group that holds slot `slot`. */
  groupOfSlot(slot: number): number;
  /** Role and leader of group `groupId` on this node; null when it is not hosted here. */
  status(groupId: number): { role: string; leaderId: string | null } | null;
  /** True when this node reaches a majority of group `groupId`'s voters. */
  quorumReachable(groupId: number): boolean;
  /**
   * Other members of group `groupId` to try when its leader (as `status` names it) refuses or
   * cannot be reached, in order; this node excluded. None when absent.
   */
  candidates?(groupId: number): string[];
}

/** Nodes a routed command is sent to at most (the leader, then other members). */
export const FORWARD_ATTEMPTS_MAX = 3;
/** Why a node that received a forwarded command does not run it: it does not lead the group. */
const LEADERSHIP_MOVED = "leadership moved; retry";
/** The refusal line of LEADERSHIP_MOVED, as it arrives encoded. */
const LEADERSHIP_MOVED_REPLY = new TextEncoder().encode(`-TRYAGAIN ${LEADERSHIP_MOVED}\r\n`);

/** What the router needs from the node. */
export interface RouterOptions {
  /** The cluster's slot count (recorded in the meta group). */
  slotCount(): number;
  requestTimeoutMs: number;
  groups: RouteGroups;
  forwarder: Forwarder;
  /** True while the connection to peer `id` is up. */
  isUp(id: string): boolean;
  logger: Logger;
}

/**
 * The one routing path of every command. A spec says where it runs (`route`); the router resolves
 * that once to a Raft group and its leader, runs the handler when this node leads the group, and
 * otherwise forwards the command with the group id (ForwardRequest) and relays the reply. A command
 * that arrives forwarded runs only if this node still leads the group it was sent for.
 *
 * A blocking command (`spec.wait`) parks its client's wait here first; its id travels with the
 * command, and an executing node that queues the wait answers `QUEUED_REPLY`, after which the
 * parked wait settles the client's reply on this node.
 */
export class CommandRouter {
  readonly #options: RouterOptions;
  #table: CommandTable | null = null;
  #services: NodeServices | null = null;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  /** Gives the router the table and services it runs forwarded and internal calls with. */
  attach(table: CommandTable, services: NodeServices): void {
    this.#table = table;
    this.#services = services;
  }

  /** `spec` with its handler (and its subcommands' handlers) going through the router. */
  wrap(spec: CommandSpec): CommandSpec {
    if (spec.subcommands !== undefined) {
      return { ...spec, subcommands: spec.subcommands.map((sub) => this.wrap(sub)) };
    }
    const handler = spec.handler!;
    if ((spec.route ?? "local") === "local") return spec;
    if (spec.wait !== undefined && typeof spec.route === "function") {
      throw new Error(`Command '${spec.name}' parks waits, so it needs a fixed route`);
    }
    return { ...spec, handler: (call) => this.dispatch(spec, handler, call) };
  }

  /** Routes one call of a routed spec (see the class comment). */
  dispatch(
    spec: CommandSpec,
    handler: NonNullable<CommandSpec["handler"]>,
    call: CommandCall,
  ): void | Promise<ReplyFn> {
    const route = typeof spec.route === "function" ? spec.route(call.args) : spec.route;
    if (route === undefined || route === "local") return handler(call);
    const session = call.session;
    const incoming = session.forwardedTarget;
    if (incoming !== null) {
      // Sent here by another node for the group it resolved: run only while leading that group.
      if (this.#options.groups.status(incoming.groupId)?.role !== "leader") {
        const error = noLeaderError(
          this.#options.groups.quorumReachable(incoming.groupId),
          LEADERSHIP_MOVED,
        );
        return call.out.error(error.message);
      }
      return handler({ ...call, target: incoming });
    }
    const groupId = route === "slot"
      ? this.#options.groups.groupOfSlot(
        keySlot(call.args[spec.firstKey!]!, this.#options.slotCount()),
      )
      : this.#options.groups.metaGroupId;
    const parked = spec.wait?.park(call) ?? null;
    if (parked !== null && "refused" in parked) {
      return call.out.error(`${parked.refused.code} ${parked.refused.message}`);
    }
    const target: RouteTarget = { groupId, parkedWaitId: parked?.id ?? 0 };
    let answer: void | Promise<ReplyFn>;
    try {
      answer = this.#options.groups.status(groupId)?.role === "leader"
        ? handler({ ...call, target })
        : this.#forward(call.args, target, session.user, spec.flags.includes("readonly"));
    } catch (error) {
      parked?.drop();
      throw error;
    }
    if (parked === null) return answer;
    // Read now: the connection reuses its call object for the commands behind this one.
    const onQueued = call.onQueued;
    if (answer === undefined) {
      parked.drop();
      return;
    }
    return answer.then((reply) => {
      if (reply === QUEUED_REPLY) {
        // Committed and queued: the reply now waits on other clients, not on this node.
        onQueued?.();
        return parked.settle(session);
      }
      parked.drop();
      return reply;
    }, (error) => {
      parked.drop();
      throw error;
    });
  }

  /**
   * Runs a command another node forwarded here; returns its RESP2-encoded reply. The command table
   * checks it again with the user the client authenticated as on that node (empty: that node's
   * own call).
   */
  executeForwarded(from: string, message: PeerMessageOf<"forwardRequest">): Promise<Uint8Array> {
    const session = new ClientSession(0, `peer ${from}`, performance.now(), true);
    session.user = message.user === "" ? null : message.user;
    session.forwardedTarget = { groupId: message.groupId, parkedWaitId: message.parkedWaitId };
    return this.#runCaptured(message.args, session);
  }

  /**
   * Runs a command through the table and the routing as an internal caller (a subsystem's
   * follow-up, such as cancelling a parked wait); resolves with the decoded reply.
   */
  async call(args: string[]): Promise<RespValue> {
    const encoder = new TextEncoder();
    const session = new ClientSession(0, "internal", performance.now(), true);
    session.user = null;
    return decodeReply(await this.#runCaptured(args.map((arg) => encoder.encode(arg)), session));
  }

  /**
   * `call` with binary arguments; with `user`, on behalf of that client's user (its permissions
   * checked here and on the node that executes it).
   */
  async callBytes(args: Uint8Array[], user: string | null = null): Promise<RespValue> {
    const session = new ClientSession(0, "internal", performance.now(), true);
    session.user = user;
    return decodeReply(await this.#runCaptured(args, session));
  }

  /**
   * Sends the call to the leader of `target.groupId`; when that node answers that it does not
   * lead the group, or the command cannot be sent to it, or (read-only commands) it was left
   * unanswered when another node became leader, tries the leader this node knows then, else the
   * group's other members (`candidates`), at most FORWARD_ATTEMPTS_MAX nodes in all. Only
   * refusals that prove the command did not run (or could not change anything) move on: a
   * timeout or a lost leader of a write (outcome unknown) is answered as it is. Refuses when
   * there is nobody to reach.
   */
  async #forward(
    args: Uint8Array[],
    target: RouteTarget,
    user: string | null,
    readonly: boolean,
  ): Promise<ReplyFn> {
    const groups = this.#options.groups;
    const tried: string[] = [];
    // The other members are looked up only once the leader did not do (a cold path).
    let candidates: string[] | null = null;
    let refusal: Uint8Array | null = null;
    let attempts = 0;
    while (attempts < FORWARD_ATTEMPTS_MAX) {
      const leaderId = groups.status(target.groupId)?.leaderId ?? null;
      let to = leaderId !== null && !tried.includes(leaderId) ? leaderId : null;
      if (to === null) {
        candidates ??= groups.candidates?.(target.groupId) ?? [];
        to = candidates.find((id) => !tried.includes(id)) ?? null;
      }
      if (to === null) break;
      tried.push(to);
      if (!this.#options.isUp(to)) continue;
      attempts++;
      let bytes: Uint8Array;
      try {
        bytes = await this.#options.forwarder.forward(
          to,
          args,
          this.#options.requestTimeoutMs,
          target,
          { user: user ?? "", readonly },
        );
      } catch (error) {
        // TRYAGAIN from the forwarder: not sent (unreachable, or too many pending), or a
        // read-only command its node left unanswered.
        if (error instanceof ClusterError && error.code === "TRYAGAIN") continue;
        return errorReply(error);
      }
      if (sameBytes(bytes, LEADERSHIP_MOVED_REPLY)) {
        refusal = bytes;
        continue;
      }
      return this.#relay(bytes, target);
    }
    if (refusal !== null) return this.#relay(refusal, target);
    const error = noLeaderError(groups.quorumReachable(target.groupId));
    return (out) => out.error(error.message);
  }

  /** The reply a forwarded command's RESP2 bytes stand for. */
  #relay(bytes: Uint8Array, target: RouteTarget): ReplyFn {
    const value = decodeReply(bytes);
    if (value.type === "simple" && value.value === "QUEUED" && target.parkedWaitId !== 0) {
      return QUEUED_REPLY;
    }
    return (out, version) => out.value(value, version);
  }

  /** Resolves and runs `args` with `session`, capturing the RESP2 reply bytes. */
  async #runCaptured(args: Uint8Array[], session: ClientSession): Promise<Uint8Array> {
    const out = new RespWriter(256);
    const table = this.#table;
    if (table === null || this.#services === null || args.length === 0) {
      out.error("TRYAGAIN node is starting");
      return out.bytes().slice();
    }
    const resolution = table.resolve(args, true, true, session.user);
    if (resolution.error !== undefined) {
      out.error(resolution.error);
      return out.bytes().slice();
    }
    try {
      const result = resolution.spec.handler!({ args, session, out, services: this.#services });
      if (result !== undefined) (await result)(out, 2);
    } catch (error) {
      // Last resort (a bug, not a refusal): answer the caller rather than stay silent.
      this.#options.logger.error("routed command failed unexpectedly", { error: String(error) });
      const failed = new RespWriter(256);
      failed.error(internalErrorLine(error));
      return failed.bytes().slice();
    }
    return out.bytes().slice();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
