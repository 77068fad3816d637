import { CACHE_FENCE_NODES_MAX } from "../cache/mod.ts";

/**
 * What this process has seen of the cluster's membership, for the cache's epoch fence
 * (docs/cache.md, "The epoch fence"): the members now, and every node that stopped being one
 * within the last `boundMs` (a lease and its margin: such a node may still hold a live line).
 * Time is passed in; the host calls `observe` on every tick.
 */
export class MembershipWatch {
  readonly #boundMs: number;
  /** When the first non-empty membership was seen (removals before it were not). */
  #watchingSinceMs: number | null = null;
  #members = new Set<string>();
  /** Nodes removed within the last `boundMs`, with when this process saw them go. */
  readonly #removedAtMs = new Map<string, number>();
  /** More nodes than a fence may name were known: no fence until they are forgotten. */
  #overflow = false;

  /** A watch whose removed nodes are remembered for `boundMs`. */
  constructor(boundMs: number) {
    this.#boundMs = boundMs;
  }

  /** The membership as this node sees it now (its own id included). */
  observe(ids: Iterable<string>, nowMs: number): void {
    const members = new Set(ids);
    if (members.size === 0) return; // not known yet (a joining node before the log arrives)
    this.#watchingSinceMs ??= nowMs;
    for (const id of this.#members) {
      if (!members.has(id)) this.#removedAtMs.set(id, nowMs);
    }
    for (const id of members) this.#removedAtMs.delete(id);
    for (const [id, atMs] of this.#removedAtMs) {
      if (nowMs - atMs > this.#boundMs) this.#removedAtMs.delete(id);
    }
    this.#members = members;
    this.#overflow = members.size + this.#removedAtMs.size > CACHE_FENCE_NODES_MAX;
  }

  /** True for a member of the latest view (a home serves requests only from members). */
  isMember(id: string): boolean {
    return this.#members.has(id);
  }

  /**
   * Every node that may hold a line granted by a home this process did not run: the members and
   * the nodes removed within the bound; null when this process cannot tell (it has watched for
   * less than the bound, or knows more nodes than a fence may name).
   */
  known(nowMs: number): string[] | null {
    const since = this.#watchingSinceMs;
    if (since === null || nowMs - since < this.#boundMs || this.#overflow) return null;
    // Disjoint: `observe` drops a member's removal time.
    return [...this.#members, ...this.#removedAtMs.keys()].sort();
  }

  /** True when every node `known` names is in `fence` (a node vouches for a fence set). */
  covers(fence: readonly string[], nowMs: number): boolean {
    const known = this.known(nowMs);
    if (known === null) return false;
    const named = new Set(fence);
    return known.every((id) => named.has(id));
  }
}
