/**
 * Test oracle: the wait-for graph straight from the contract's definition, built from
 * `LockTable.info` alone, plus a naive cycle search.
 */
import type { LockInfo, LockTable, WaiterInfo } from "../../src/locks/mod.ts";

/** Lock name -> info, for a fixed list of names. */
export type TableView = Map<string, LockInfo>;

/** The infos of `names`. */
export function viewOf(table: LockTable, names: readonly string[]): TableView {
  return new Map(names.map((name) => [name, table.info(name)]));
}

/** owner -> owners it waits for: incompatible holders (not itself) and waiters ahead. */
export function waitEdges(view: TableView): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  const add = (from: string, to: string) => {
    const set = edges.get(from) ?? new Set<string>();
    set.add(to);
    edges.set(from, set);
  };
  for (const info of view.values()) {
    info.waiters.forEach((waiter, position) => {
      for (const holder of info.holders) {
        if (holder.owner === waiter.owner) continue;
        if (waiter.mode === "exclusive" || info.mode === "exclusive") {
          add(waiter.owner, holder.owner);
        }
      }
      for (const ahead of info.waiters.slice(0, position)) {
        if (waiter.mode === "exclusive" || ahead.mode === "exclusive") {
          add(waiter.owner, ahead.owner);
        }
      }
    });
  }
  return edges;
}

/** Some cycle of the graph, or null when it is acyclic. */
export function findAnyCycle(edges: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (owner: string): string[] | null => {
    state.set(owner, "open");
    stack.push(owner);
    for (const next of edges.get(owner) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found !== null) return found;
      }
    }
    stack.pop();
    state.set(owner, "done");
    return null;
  };
  for (const owner of edges.keys()) {
    if (state.get(owner) !== undefined) continue;
    const found = visit(owner);
    if (found !== null) return found;
  }
  return null;
}

/** `view` with `waiter` parked on `name` where the table parks it (upgrade waits first). */
export function withParkedWaiter(view: TableView, name: string, waiter: WaiterInfo): TableView {
  const copy: TableView = structuredClone(view);
  const info = copy.get(name)!;
  const holds = (owner: string) => info.holders.some((holder) => holder.owner === owner);
  if (holds(waiter.owner)) {
    let position = 0;
    while (position < info.waiters.length && holds(info.waiters[position]!.owner)) position++;
    info.waiters.splice(position, 0, waiter);
  } else {
    info.waiters.push(waiter);
  }
  return copy;
}
