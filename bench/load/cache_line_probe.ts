/**
 * What a cache benchmark checks on a node around a run: the state of every benchmark key's line
 * (CACHE.STATE) and the counters of INFO cache.
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { RespPipeline } from "./resp_pipeline.ts";

/** The name redis-benchmark's `-r` gives key `rank` (`key:` and 12 digits). */
export function benchmarkKeyName(rank: number): string {
  return `key:${String(rank).padStart(12, "0")}`;
}

/** How many of the keys `0..keyCount-1` are in each line state on the node at `port`. */
export async function lineStates(port: number, keyCount: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = { M: 0, E: 0, S: 0, I: 0 };
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    for (let rank = 0; rank < keyCount; rank++) {
      const reply = await connection.call(["CACHE.STATE", benchmarkKeyName(rank)]);
      const state = reply.type === "simple" ? reply.value : "?";
      counts[state] = (counts[state] ?? 0) + 1;
    }
  } finally {
    connection.close();
  }
  return counts;
}

/** The numeric fields of INFO cache on the node at `port`. */
export function cacheInfo(port: number): Promise<Map<string, number>> {
  return infoSection(port, "cache");
}

/** The numeric fields of INFO `section` on the node at `port`. */
export async function infoSection(port: number, section: string): Promise<Map<string, number>> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const text = replyText(await connection.call(["INFO", section]));
    const fields = new Map<string, number>();
    for (const line of text.split("\n")) {
      const [name, value] = line.trim().split(":");
      if (name !== undefined && value !== undefined && /^-?\d+$/.test(value)) {
        fields.set(name, Number(value));
      }
    }
    return fields;
  } finally {
    connection.close();
  }
}

/** The sum over the nodes at `ports` of INFO cache field `name`. */
export async function cacheInfoSum(ports: number[], name: string): Promise<number> {
  let sum = 0;
  for (const port of ports) sum += (await cacheInfo(port)).get(name) ?? 0;
  return sum;
}

/** Pipelined write passes over the keys before the node owns them all, at most. */
const OWN_PASSES_MAX = 20;

/**
 * Writes every key through the node at `port`, pipelined, until all of its lines are M (a line
 * that lapsed asks its home again), so a write-back run starts with every line owned; returns
 * how many lines are M at the end.
 */
export async function ownAll(port: number, keyCount: number): Promise<number> {
  const pipeline = await RespPipeline.open(port);
  try {
    let owned = 0;
    for (let pass = 0; pass < OWN_PASSES_MAX && owned < keyCount; pass++) {
      for (let start = 0; start < keyCount; start += OWN_BATCH) {
        const count = Math.min(OWN_BATCH, keyCount - start);
        const sets = Array.from({ length: count }, (_, i) => [
          "SET",
          benchmarkKeyName(start + i),
          "xxx",
        ]);
        await pipeline.calls(sets, 30_000);
      }
      owned = (await lineStates(port, keyCount)).M!;
    }
    return owned;
  } finally {
    pipeline.close();
  }
}

/** SETs per pipelined batch of `ownAll`. */
const OWN_BATCH = 500;
