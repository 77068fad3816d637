import { assert } from "../util/assert.ts";

/**
 * Picks one preferred leader per slot among its replicas so that the leader counts per member
 * are as even as the replica sets allow; deterministic from the arguments alone.
 *
 * `replicaIndexes[slot]` lists member indexes (0 ≤ index < memberCount), non-empty. First each
 * slot keeps its `previous` leader if that is still one of its replicas (so a membership change
 * moves few leaderships); each other slot, in slot order, takes its least-loaded replica (ties:
 * the earlier one in ring order); then leaderships move along cost-reducing paths (member u
 * leads a slot that also lists v, v leads one that also lists w, ..., ending at a member with at
 * least 2 fewer leaderships than u) until none is left. An assignment without such a path minimises the largest count (and every other
 * norm of the counts; Harvey, Ladner, Lovász and Tamir, "Semi-matchings for bipartite graphs and
 * load balancing", 2003), so counts differ by at most one whenever any choice achieves that.
 */
export function spreadLeaders(
  replicaIndexes: readonly (readonly number[])[],
  memberCount: number,
  previous: readonly (number | undefined)[] = [],
): number[] {
  const loads = new Array<number>(memberCount).fill(0);
  const kept = replicaIndexes.map((replicas, slot) => {
    assert(replicas.length > 0, "every slot has a replica");
    const leader = previous[slot];
    if (leader === undefined || !replicas.includes(leader)) return undefined;
    loads[leader]!++;
    return leader;
  });
  const leaders = replicaIndexes.map((replicas, slot) => {
    const leader = kept[slot];
    if (leader !== undefined) return leader;
    let best = replicas[0]!;
    for (const candidate of replicas) if (loads[candidate]! < loads[best]!) best = candidate;
    loads[best]!++;
    return best;
  });
  // Each move lowers the sum of squared loads by at least 2, so this loop ends.
  while (moveAlongCostReducingPath(replicaIndexes, leaders, loads)) { /* again */ }
  return leaders;
}

/**
 * Finds one cost-reducing path and moves leaderships along it; false if there is none. A search
 * from u that fails marks every member it reached as dead for the rest of this call: from them no
 * member with load ≤ load(u) - 2 is reachable, and later sources have at most u's load.
 */
function moveAlongCostReducingPath(
  replicaIndexes: readonly (readonly number[])[],
  leaders: number[],
  loads: number[],
): boolean {
  const ledSlots: number[][] = loads.map(() => []);
  leaders.forEach((leader, slot) => ledSlots[leader]!.push(slot));
  const sources = loads.map((_, member) => member)
    .sort((a, b) => loads[b]! - loads[a]! || a - b);
  const dead = new Uint8Array(loads.length);
  for (const source of sources) {
    if (loads[source]! < 2) return false;
    if (dead[source] === 1) continue;
    const path = findPath(source, replicaIndexes, ledSlots, loads, dead);
    if (path === null) continue;
    for (const { slot, to } of path) leaders[slot] = to;
    loads[source]!--;
    loads[path.at(-1)!.to]!++;
    return true;
  }
  return false;
}

/** One hop of a path: `slot`'s leadership goes to member `to`. */
interface PathHop {
  slot: number;
  to: number;
}

/**
 * Breadth-first search from `source`, skipping dead members, for a member with at most
 * load(source) - 2 leaderships. On failure it marks every member it reached as dead.
 */
function findPath(
  source: number,
  replicaIndexes: readonly (readonly number[])[],
  ledSlots: readonly (readonly number[])[],
  loads: readonly number[],
  dead: Uint8Array,
): PathHop[] | null {
  const reachedBy = new Map<number, { from: number; slot: number }>();
  const queue = [source];
  const visited = new Uint8Array(loads.length);
  visited[source] = 1;
  for (let head = 0; head < queue.length; head++) {
    const member = queue[head]!;
    for (const slot of ledSlots[member]!) {
      for (const next of replicaIndexes[slot]!) {
        if (visited[next] === 1 || dead[next] === 1) continue;
        visited[next] = 1;
        reachedBy.set(next, { from: member, slot });
        if (loads[next]! <= loads[source]! - 2) return unwind(next, source, reachedBy);
        queue.push(next);
      }
    }
  }
  for (const member of queue) dead[member] = 1;
  return null;
}

function unwind(
  end: number,
  source: number,
  reachedBy: ReadonlyMap<number, { from: number; slot: number }>,
): PathHop[] {
  const path: PathHop[] = [];
  for (let member = end; member !== source;) {
    const hop = reachedBy.get(member)!;
    path.push({ slot: hop.slot, to: member });
    member = hop.from;
  }
  return path.reverse();
}
