import type { RespValue } from "../../protocol/resp/mod.ts";

const decoder = new TextDecoder();

/** A reply of a shape the contract does not give this command: a protocol mismatch, not a refusal. */
export class UnexpectedReplyError extends Error {
  /** `command` got `reply`, which its contract does not allow. */
  constructor(command: string, reply: RespValue) {
    super(`${command}: unexpected reply ${describe(reply)}`);
    this.name = "UnexpectedReplyError";
  }
}

function describe(reply: RespValue): string {
  return JSON.stringify(
    reply,
    (_key, value) =>
      value instanceof Uint8Array
        ? decoder.decode(value)
        : typeof value === "bigint"
        ? String(value)
        : value,
  );
}

/** The reply as an integer (`:n`). */
export function integerReply(command: string, reply: RespValue): number {
  if (reply.type === "integer") return reply.value;
  throw new UnexpectedReplyError(command, reply);
}

/** The reply as an integer, or null for a null reply. */
export function integerOrNull(command: string, reply: RespValue): number | null {
  if (reply.type === "null") return null;
  return integerReply(command, reply);
}

/** A `:1` / `:0` reply as a boolean. */
export function flagReply(command: string, reply: RespValue): boolean {
  const value = integerReply(command, reply);
  if (value === 0 || value === 1) return value === 1;
  throw new UnexpectedReplyError(command, reply);
}

/** The bytes of a bulk (or simple) string reply, or null for a null reply. */
export function bytesOrNull(command: string, reply: RespValue): Uint8Array | null {
  if (reply.type === "null") return null;
  if (reply.type === "bulk" || reply.type === "verbatim") return reply.value;
  if (reply.type === "simple") return new TextEncoder().encode(reply.value);
  throw new UnexpectedReplyError(command, reply);
}

/** A string reply as text. */
export function textReply(command: string, reply: RespValue): string {
  const bytes = bytesOrNull(command, reply);
  if (bytes === null) throw new UnexpectedReplyError(command, reply);
  return decoder.decode(bytes);
}

/** The items of an array (or set) reply. */
export function arrayReply(command: string, reply: RespValue): RespValue[] {
  if (reply.type === "array" || reply.type === "set") return reply.value;
  throw new UnexpectedReplyError(command, reply);
}

/** A flat name, value, name, value array (or a RESP3 map) as a Map of integers. */
export function countsReply(command: string, reply: RespValue): Map<string, number> {
  const pairs: Array<[RespValue, RespValue]> = reply.type === "map"
    ? reply.value
    : pairs2(arrayReply(command, reply), command, reply);
  return new Map(pairs.map(([name, value]) => [
    textReply(command, name),
    integerReply(command, value),
  ]));
}

function pairs2(
  items: RespValue[],
  command: string,
  reply: RespValue,
): Array<[RespValue, RespValue]> {
  if (items.length % 2 !== 0) throw new UnexpectedReplyError(command, reply);
  const pairs: Array<[RespValue, RespValue]> = [];
  for (let i = 0; i < items.length; i += 2) pairs.push([items[i]!, items[i + 1]!]);
  return pairs;
}
