/**
 * A small explicit-state model checker: breadth-first search over every state reachable from
 * the initial one, with states identified by a 64-bit hash of a canonical fingerprint. The
 * first state whose `violation` is not null stops the search; its trace (the labels of the
 * shortest path to it) is returned. Reusable for any model with cloned, immutable steps.
 * @module
 */

/** What the checker needs from a model. States must not be mutated once returned. */
export interface Model<S> {
  initial(): S;
  /** A canonical text: equal for states that behave the same from now on. */
  fingerprint(state: S): string;
  /** Every step possible from `state`, each with a label for traces. */
  successors(state: S): Iterable<{ label: string; state: S }>;
  /** Why the state breaks an invariant, or null. */
  violation(state: S): string | null;
}

/** Figures and outcome of one search. */
export interface ExploreResult {
  /** Distinct states visited. */
  states: number;
  /** Steps taken (edges), including ones into states seen before. */
  transitions: number;
  /** Length of the longest shortest path (BFS depth). */
  depthMax: number;
  elapsedMs: number;
  /** True when `statesMax` stopped the search before it was exhaustive. */
  truncated: boolean;
  /** The first violation found, with the steps that lead to it from the initial state. */
  violation: { message: string; trace: string[] } | null;
}

/** Searches `model` breadth-first, visiting at most `statesMax` states. */
export function explore<S>(model: Model<S>, statesMax: number): ExploreResult {
  const started = performance.now();
  const seen = new Set<string>();
  const parents: number[] = [];
  const labels: string[] = [];
  const depths: number[] = [];
  let queue: { state: S; index: number }[] = [];
  const visit = (state: S, parent: number, label: string): number | null => {
    const hash = hash64(model.fingerprint(state));
    if (seen.has(hash)) return null;
    seen.add(hash);
    parents.push(parent);
    labels.push(label);
    depths.push(parent < 0 ? 0 : depths[parent]! + 1);
    return parents.length - 1;
  };
  const result = (truncated: boolean, violation: ExploreResult["violation"]): ExploreResult => ({
    states: seen.size,
    transitions,
    depthMax: depths.length === 0 ? 0 : depths[depths.length - 1]!,
    elapsedMs: Math.round(performance.now() - started),
    truncated,
    violation,
  });
  let transitions = 0;
  const initial = model.initial();
  visit(initial, -1, "start");
  const first = model.violation(initial);
  if (first !== null) return result(false, { message: first, trace: ["start"] });
  queue.push({ state: initial, index: 0 });
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const { state, index } of queue) {
      for (const step of model.successors(state)) {
        transitions++;
        const child = visit(step.state, index, step.label);
        if (child === null) continue;
        const message = model.violation(step.state);
        if (message !== null) return result(false, { message, trace: traceOf(child) });
        if (seen.size >= statesMax) return result(true, null);
        next.push({ state: step.state, index: child });
      }
    }
    queue = next;
  }
  return result(false, null);

  function traceOf(index: number): string[] {
    const trace: string[] = [];
    for (let i = index; i >= 0; i = parents[i]!) trace.push(labels[i]!);
    return trace.reverse();
  }
}

/** Two independent 32-bit FNV-1a style hashes of the UTF-16 code units, as one string key. */
export function hash64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(36) + ":" + (b >>> 0).toString(36);
}
