/**
 * What a cache benchmark checks on a node around a run: the state of every benchmark key's line
 * (CACHE.STATE) and the counters of INFO cache.
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";

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
export async function cacheInfo(port: number): Promise<Map<string, number>> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const text = replyText(await connection.call(["INFO", "cache"]));
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
