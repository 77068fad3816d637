import type { RespValue, RespVersion, RespWriter } from "../../protocol/resp/mod.ts";
import type { CommandCall, CommandSpec, ReplyFn } from "../commands/command_table.ts";
import { errorLine } from "../commands/replies.ts";
import {
  parseQueueCommand,
  placementKey,
  type QueueAnswer,
  type QueueArgumentLimits,
  type QueueRequest,
} from "../queues/mod.ts";
import type { QueueFrontend } from "./queue_frontend.ts";
import type { QueueService } from "./queue_service.ts";

/** What the commands need from the node. */
export interface QueueCommandContext {
  frontend: QueueFrontend;
  service: QueueService;
  limits: QueueArgumentLimits;
  /** The slot of a routed call's target group, or null. */
  slotOfGroup(groupId: number): number | null;
}

const ENCODER = new TextEncoder();
/** Internal command carrying one partition's share, routed to its slot's leader by argument 1. */
const SHARE = ENCODER.encode("QUEUE.SHARE");

/**
 * The arguments of a share: `QUEUE.SHARE placement-key partition count-max <client's command>`;
 * the placement key routes it (route `slot`, key at 1) to the partition's slot leader.
 */
export function shareArgs(
  args: readonly Uint8Array[],
  request: QueueRequest,
  partition: number,
  countMax: number,
): Uint8Array[] {
  return [
    SHARE,
    placementKey(request.queue, partition),
    ENCODER.encode(String(partition)),
    ENCODER.encode(String(countMax)),
    ...args,
  ];
}

/**
 * QUEUE.PUSH, POP, ACK, NACK, TOUCH, LEN, STATS, CONFIG: parsed on the node the client talks to,
 * which picks the partitions (QueueFrontend) and sends each its share as QUEUE.SHARE through the
 * router to the partition's slot leader, where the QueueService runs it.
 */
export function queueCommands(context: QueueCommandContext): CommandSpec[] {
  function client(call: CommandCall): void | Promise<ReplyFn> {
    // The request outlives this synchronous part (shares, retries of a waiting POP), but the
    // arguments are views into the connection's read buffer: copy them first.
    const args = call.args.map((arg) => arg.slice());
    const request = parseQueueCommand(args, context.limits);
    if ("kind" in request) return call.out.error(request.line);
    const onClose = (hook: () => void) => call.session.onClose(hook);
    return context.frontend.run({ request, args }, onClose).then(
      (answer): ReplyFn => (out, version) => writeAnswer(out, version, answer),
      (error): ReplyFn => (out) => out.error(errorLine(error)),
    );
  }

  function share(call: CommandCall): void | Promise<ReplyFn> {
    const partition = smallInteger(call.args[2]!);
    const countMax = smallInteger(call.args[3]!);
    const request = parseQueueCommand(call.args.slice(4).map((arg) => arg.slice()), context.limits);
    if ("kind" in request) return call.out.error(request.line);
    if (partition === null || partition >= context.limits.partitions || countMax === null) {
      return call.out.error("ERR QUEUE.SHARE names no partition of this cluster");
    }
    const slot = context.slotOfGroup(call.target!.groupId);
    if (slot === null) {
      return call.out.error("ERR QUEUE.SHARE routed to a group that holds no slot");
    }
    return context.service.run(slot, request, partition, Math.max(1, countMax)).then(
      (answer): ReplyFn => (out, version) => writeAnswer(out, version, answer),
      (error): ReplyFn => (out) => out.error(errorLine(error)),
    );
  }

  const spec = (
    name: string,
    arity: number,
    flags: CommandSpec["flags"],
    summary: string,
  ): CommandSpec => ({
    name,
    arity,
    flags,
    summary,
    categories: ["queue"],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    handler: client,
  });
  return [
    spec("queue.push", -3, ["write"], "Enqueues a message; its id once durable on a majority"),
    spec("queue.pop", -2, ["write", "blocking"], "Takes up to COUNT messages, WAIT ms at most"),
    spec("queue.ack", 3, ["write", "fast"], "Removes a delivered message"),
    spec("queue.nack", -3, ["write", "fast"], "Gives a delivered message back (after DELAY)"),
    spec("queue.touch", 4, ["write", "fast"], "Keeps an in-flight message invisible ms more"),
    spec("queue.len", 2, ["readonly"], "Ready messages of a queue"),
    spec("queue.stats", 2, ["readonly"], "Counters of a queue, as name/value pairs"),
    spec("queue.config", -2, ["write"], "Sets MAXDELIVER and the default VISIBILITY"),
    {
      name: "queue.share",
      arity: -6,
      flags: ["internal"],
      summary: "One partition's share of a queue command, on its slot's leader",
      categories: ["queue"],
      firstKey: 1,
      lastKey: 1,
      keyStep: 1,
      route: "slot",
      handler: share,
    },
  ];
}

/** Writes a queue answer as RESP. */
export function writeAnswer(out: RespWriter, _version: RespVersion, answer: QueueAnswer): void {
  switch (answer.kind) {
    case "ok":
      return out.simple("OK");
    case "id":
      return out.bulk(ENCODER.encode(answer.id));
    case "integer":
      return out.integer(answer.value);
    case "messages":
      out.arrayHeader(answer.messages.length);
      for (const message of answer.messages) {
        out.arrayHeader(3);
        out.bulk(ENCODER.encode(message.id));
        out.bulk(message.payload);
        out.integer(message.deliveries);
      }
      return;
    case "pairs":
      out.arrayHeader(answer.pairs.length * 2);
      for (const [name, value] of answer.pairs) {
        out.bulk(ENCODER.encode(name));
        out.integer(value);
      }
      return;
    case "error":
      return out.error(answer.line);
  }
}

/** The answer a share's RESP2 reply carries, for a share of `request`. */
export function answerOfReply(request: QueueRequest, value: RespValue): QueueAnswer {
  const unexpected = (): QueueAnswer => ({
    kind: "error",
    line: `ERR unexpected ${value.type} reply from the slot leader`,
  });
  switch (value.type) {
    case "error":
      return { kind: "error", line: value.value };
    case "simple":
      return { kind: "ok" };
    case "integer":
      return { kind: "integer", value: value.value };
    case "bulk":
      return { kind: "id", id: new TextDecoder().decode(value.value) };
    case "array":
      if (request.command === "pop") {
        const messages = value.value.map((item) => messageOf(item));
        return messages.includes(null)
          ? unexpected()
          : { kind: "messages", messages: messages as NonNullable<typeof messages[0]>[] };
      }
      return pairsOf(value.value) ?? unexpected();
    default:
      return unexpected();
  }
}

function messageOf(item: RespValue) {
  if (item.type !== "array" || item.value.length !== 3) return null;
  const [id, payload, deliveries] = item.value;
  if (id?.type !== "bulk" || payload?.type !== "bulk" || deliveries?.type !== "integer") {
    return null;
  }
  return {
    id: new TextDecoder().decode(id.value),
    payload: payload.value,
    deliveries: deliveries.value,
  };
}

function pairsOf(items: RespValue[]): QueueAnswer | null {
  const pairs: [string, number][] = [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    const name = items[i]!;
    const value = items[i + 1]!;
    if (name.type !== "bulk" || value.type !== "integer") return null;
    pairs.push([new TextDecoder().decode(name.value), value.value]);
  }
  return { kind: "pairs", pairs };
}

/** A non-negative decimal integer of at most 7 digits, or null. */
function smallInteger(arg: Uint8Array): number | null {
  if (arg.length === 0 || arg.length > 7) return null;
  let value = 0;
  for (const byte of arg) {
    if (byte < 48 || byte > 57) return null;
    value = value * 10 + byte - 48;
  }
  return value;
}
