import type { RespVersion, RespWriter } from "../../protocol/resp/mod.ts";
import type { CommandCall, CommandSpec, ReplyFn } from "../commands/command_table.ts";
import { keyCommandSpecs } from "../commands/key_commands.ts";
import { errorLine } from "../commands/replies.ts";
import { KV_KEY_BYTES_MAX, type KvRequest, parseKvCommand } from "../kv/mod.ts";
import type { CacheService, KeyRead } from "./cache_service.ts";
import { cacheStatsPairs } from "./cache_stats.ts";

/** What the commands need from the node. */
export interface CacheCommandContext {
  service: CacheService;
  valueBytesMax: number;
  /** `--cache-max-bytes` and `--cache-max-entries` (CACHE.STATS). */
  capacity: { bytes: number; entries: number };
}

/**
 * GET, SET, DEL, EXISTS, MGET, MSET, PTTL through the node's cache (replies as Redis), and
 * CACHE.STATE, CACHE.STATS. A read of keys all held in live lines answers at once, without a
 * turn of the event loop; anything else waits for the keys' homes. Each key is its own request,
 * so nothing is atomic across keys (DEL and MSET of several keys included).
 */
export function cacheCommands(context: CacheCommandContext): CommandSpec[] {
  const { service } = context;
  const limits = { valueBytesMax: context.valueBytesMax };

  /** GET: a hit answers from the line before anything else is parsed or allocated. */
  function get(call: CommandCall): void | Promise<ReplyFn> {
    const key = call.args[1]!;
    if (key.length <= KV_KEY_BYTES_MAX) {
      const value = service.hitValue(key, call.nowMs);
      if (value !== undefined) {
        return value === null ? call.out.nullBulk(call.session.protocol) : call.out.bulk(value);
      }
    }
    return client(call);
  }

  /**
   * SET: a plain one (no options, within the limits) on a line this node owns (write-back) is
   * acknowledged before anything else is parsed; the rest goes through `client`.
   */
  function set(call: CommandCall): void | Promise<ReplyFn> {
    const { args } = call;
    const key = args[1]!;
    const value = args[2];
    if (
      args.length === 3 && value !== undefined && key.length <= KV_KEY_BYTES_MAX &&
      value.length <= limits.valueBytesMax
    ) {
      // The node copies the value if it applies the write (into the line's own buffer when it
      // has one of that length): no allocation per SET on a line written steadily.
      const write = { value, ttlMs: null, condition: "always" as const };
      if (service.writeHit(key, write, call.nowMs) === true) return call.out.simple("OK");
    }
    return client(call);
  }

  function client(call: CommandCall): void | Promise<ReplyFn> {
    const request = parseKvCommand(call.args, limits);
    if ("kind" in request) return call.out.error(request.line);
    if (request.command === "get" || request.command === "pttl") {
      const hit = service.hit(request.key);
      if (hit !== null) return writeRead(call.out, call.session.protocol, request, [hit]);
    }
    if (request.command === "set") {
      // On a line this node owns (write-back): acknowledged in this turn, no promise.
      const { key, value, ttlMs, condition } = request;
      const applied = service.writeHit(key, { value, ttlMs, condition }, call.nowMs);
      if (applied !== null) {
        return applied ? call.out.simple("OK") : call.out.nullBulk(call.session.protocol);
      }
    }
    return run(request).then(
      (answer): ReplyFn => answer,
      (error): ReplyFn => (out) => out.error(errorLine(error)),
    );
  }

  async function run(request: KvRequest): Promise<ReplyFn> {
    switch (request.command) {
      case "get":
      case "pttl": {
        const read = await readCopy(request.key);
        return (out, version) => writeRead(out, version, request, [read]);
      }
      case "exists":
      case "mget": {
        const reads = await Promise.all(request.keys.map(readCopy));
        return (out, version) => writeRead(out, version, request, reads);
      }
      case "set": {
        const { key, value, ttlMs, condition } = request;
        const applied = await service.write(key.slice(), {
          value: value.slice(),
          ttlMs,
          condition,
        });
        return (out, version) => applied ? out.simple("OK") : out.nullBulk(version);
      }
      case "del": {
        const write = { value: null, ttlMs: null, condition: "always" as const };
        const removed = await Promise.all(
          request.keys.map((key) => service.write(key.slice(), write)),
        );
        const count = removed.filter((applied) => applied).length;
        return (out) => out.integer(count);
      }
      case "mset": {
        await Promise.all(
          request.pairs.map(({ key, value }) =>
            service.write(key.slice(), { value: value.slice(), ttlMs: null, condition: "always" })
          ),
        );
        return (out) => out.simple("OK");
      }
    }
  }

  /** A hit answers from the line; a miss copies the key (the request outlives the read buffer). */
  function readCopy(key: Uint8Array): KeyRead | Promise<KeyRead> {
    return service.hit(key) ?? service.read(key.slice());
  }

  return [
    ...keyCommandSpecs((name) => name === "get" ? get : name === "set" ? set : client, {
      get: "a local hit under a coherence lease",
      set: "write-through",
      mset: "not atomic",
    }),
    {
      name: "cache.state",
      arity: 2,
      flags: ["readonly", "fast"],
      categories: ["cache"],
      summary: "The key's line state on this node: M, E, S or I",
      firstKey: 1,
      lastKey: 1,
      keyStep: 1,
      handler: (call) => {
        const key = call.args[1]!;
        if (key.length > KV_KEY_BYTES_MAX) {
          return call.out.error(
            `LIMIT key length ${key.length} exceeds maximum of ${KV_KEY_BYTES_MAX} bytes`,
          );
        }
        return call.out.simple(service.node.stateOf(key, performance.now()));
      },
    },
    {
      name: "cache.stats",
      arity: 1,
      flags: ["readonly"],
      categories: ["cache"],
      summary: "This node's cache counters as name/value pairs",
      firstKey: 0,
      lastKey: 0,
      keyStep: 0,
      handler: (call) => {
        const pairs = cacheStatsPairs(service, context.capacity);
        call.out.arrayHeader(pairs.length * 2);
        for (const [name, value] of pairs) {
          call.out.bulk(new TextEncoder().encode(name));
          call.out.integer(value);
        }
      },
    },
  ];
}

function writeRead(
  out: RespWriter,
  version: RespVersion,
  request: KvRequest,
  reads: readonly KeyRead[],
): void {
  switch (request.command) {
    case "get": {
      const value = reads[0]!.value;
      return value === null ? out.nullBulk(version) : out.bulk(value);
    }
    case "pttl": {
      const read = reads[0]!;
      return out.integer(read.value === null ? -2 : read.ttlRemainingMs ?? -1);
    }
    case "exists":
      return out.integer(reads.filter((read) => read.value !== null).length);
    case "mget":
      out.arrayHeader(reads.length);
      for (const { value } of reads) {
        if (value === null) out.nullBulk(version);
        else out.bulk(value);
      }
      return;
    default:
      throw new Error(`${request.command} is not a read`);
  }
}
