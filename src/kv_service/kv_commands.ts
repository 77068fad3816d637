import type { RespVersion, RespWriter } from "../../protocol/resp/mod.ts";
import type { RespValue } from "../../protocol/resp/mod.ts";
import type { CommandCall, CommandSpec, ReplyFn } from "../commands/command_table.ts";
import { keyCommandSpecs } from "../commands/key_commands.ts";
import { errorLine } from "../commands/replies.ts";
import {
  gatherAnswers,
  type KvAnswer,
  type KvRequest,
  parseKvCommand,
  type SlotShare,
  splitBySlot,
} from "../kv/mod.ts";
import { keySlot } from "../placement/key_slot.ts";
import type { KvService } from "./kv_service.ts";

/** What the commands need from the node. */
export interface KvCommandContext {
  service: KvService;
  valueBytesMax: number;
  slotCount(): number;
  /** The slot of a routed call's target group, or null. */
  slotOfGroup(groupId: number): number | null;
  /**
   * Runs an internal command through the router (binary arguments) on behalf of ACL user `user`
   * (null: unchecked); the decoded reply.
   */
  callBytes(args: Uint8Array[], user: string | null): Promise<RespValue>;
}

/** Internal command carrying one slot's share, routed to the slot's leader by its first key. */
const SHARE = new TextEncoder().encode("KV.SHARE");

/**
 * GET, SET, DEL, EXISTS, MGET, MSET, PTTL: parsed on the node the client talks to, split by slot,
 * each share sent as KV.SHARE through the router to its slot's leader (route `slot`, first key at
 * 2), the answers gathered here. Nothing is atomic across slots.
 */
export function kvCommands(context: KvCommandContext): CommandSpec[] {
  const limits = { valueBytesMax: context.valueBytesMax };

  function client(call: CommandCall): void | Promise<ReplyFn> {
    const request = parseKvCommand(call.args, limits);
    if ("kind" in request) return call.out.error(request.line);
    const slotCount = context.slotCount();
    const shares = splitBySlot(request, (key) => keySlot(key, slotCount));
    const user = call.session.user;
    return Promise.all(shares.map((share) => runShare(share, user))).then((answers) => {
      const answer = gatherAnswers(request, shares, answers);
      return (out, version) => writeAnswer(out, version, answer);
    });
  }

  async function runShare(share: SlotShare, user: string | null): Promise<KvAnswer> {
    try {
      return answerOf(await context.callBytes([SHARE, ...argsOf(share.request)], user));
    } catch (error) {
      return { kind: "error", line: errorLine(error) };
    }
  }

  function share(call: CommandCall): void | Promise<ReplyFn> {
    // The request outlives this synchronous part (a read uses its keys after the ReadIndex
    // barrier), but the arguments are views into the connection's read buffer, which the next
    // pipelined command overwrites: copy them first.
    const request = parseKvCommand(call.args.slice(1).map((arg) => arg.slice()), limits);
    if ("kind" in request) return call.out.error(request.line);
    const slot = context.slotOfGroup(call.target!.groupId);
    if (slot === null) return call.out.error("ERR KV.SHARE routed to a group that holds no slot");
    return context.service.run(slot, request).then(
      (answer): ReplyFn => (out, version) => writeAnswer(out, version, answer),
      (error): ReplyFn => (out) => out.error(errorLine(error)),
    );
  }

  return [
    ...keyCommandSpecs(() => client, { mset: "atomic per slot only" }),
    {
      name: "kv.share",
      arity: -3,
      flags: ["internal"],
      aclChecksInner: true,
      summary: "One slot's share of a key-value command, on the slot's leader",
      firstKey: 2,
      lastKey: 2,
      keyStep: 1,
      route: "slot",
      handler: share,
    },
  ];
}

/** The arguments of a share's request as a command (name first). */
function argsOf(request: KvRequest): Uint8Array[] {
  const name = new TextEncoder().encode(request.command);
  switch (request.command) {
    case "get":
    case "pttl":
      return [name, request.key];
    case "set":
      return [name, request.key, request.value, ...setOptions(request)];
    case "del":
    case "exists":
    case "mget":
      return [name, ...request.keys];
    case "mset":
      return [name, ...request.pairs.flatMap((pair) => [pair.key, pair.value])];
  }
}

function setOptions(request: Extract<KvRequest, { command: "set" }>): Uint8Array[] {
  const encoder = new TextEncoder();
  const options: string[] = [];
  if (request.ttlMs !== null) options.push("PX", String(request.ttlMs));
  if (request.condition === "ifMissing") options.push("NX");
  if (request.condition === "ifExists") options.push("XX");
  return options.map((option) => encoder.encode(option));
}

function writeAnswer(out: RespWriter, version: RespVersion, answer: KvAnswer): void {
  switch (answer.kind) {
    case "ok":
      return out.simple("OK");
    case "nil":
      return out.nullBulk(version);
    case "bulk":
      return out.bulk(answer.value);
    case "integer":
      return out.integer(answer.value);
    case "array":
      out.arrayHeader(answer.values.length);
      for (const value of answer.values) {
        if (value === null) out.nullBulk(version);
        else out.bulk(value);
      }
      return;
    case "error":
      return out.error(answer.line);
  }
}

/** The answer a share's RESP2 reply carries. */
function answerOf(value: RespValue): KvAnswer {
  switch (value.type) {
    case "simple":
      return { kind: "ok" };
    case "null":
      return { kind: "nil" };
    case "bulk":
      return { kind: "bulk", value: value.value };
    case "integer":
      return { kind: "integer", value: value.value };
    case "error":
      return { kind: "error", line: value.value };
    case "array":
      return {
        kind: "array",
        values: value.value.map((item) => item.type === "bulk" ? item.value : null),
      };
    default:
      return { kind: "error", line: `ERR unexpected ${value.type} reply from the slot leader` };
  }
}
