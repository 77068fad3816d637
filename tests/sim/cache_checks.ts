import type { CacheLine } from "../../src/cache/line_store.ts";
import type { NodeId } from "../../src/raft/mod.ts";

/** A node's lines that may answer now (by `CacheNode.liveLines` at the node's own clock). */
export interface NodeLines {
  node: NodeId;
  lines: readonly CacheLine[];
}

/** A broken coherence invariant, raised by the simulator after the event that broke it. */
export class CacheInvariantError extends Error {
  override name = "CacheInvariantError";
}

/**
 * The single-writer-many-readers invariant at one instant: for every key, among the lines that
 * may answer (live lease, before expiry, on their own node's clock), a line in M or E is the
 * only one. So a node that may acknowledge a write locally never coexists with another that may
 * answer a read locally. Throws CacheInvariantError naming the key and every holder.
 */
export function checkSingleWriter(nodes: readonly NodeLines[], atMs: number): void {
  const holders = new Map<string, string[]>();
  const owned = new Set<string>();
  for (const { node, lines } of nodes) {
    for (const line of lines) {
      const key = new TextDecoder().decode(line.key);
      const list = holders.get(key) ?? [];
      list.push(`${node}:${line.state}(epoch ${line.epoch}, grant ${line.grantSeq})`);
      holders.set(key, list);
      if (line.state === "M" || line.state === "E") owned.add(key);
    }
  }
  for (const key of owned) {
    const list = holders.get(key)!;
    if (list.length > 1) {
      throw new CacheInvariantError(
        `cache single writer: at ${atMs.toFixed(1)} ms key ${key} is live on ${list.join(" ")}`,
      );
    }
  }
}
