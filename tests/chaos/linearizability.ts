/**
 * Linearizability checking: the history is split into independent sub-histories by the model's
 * partition key (P-compositionality), each is searched with WGL + memoization, and a failing one is
 * shrunk to its smallest non-linearizable prefix to explain the failure.
 */
import type { Model, ModelOperation, Outcome } from "./model.ts";
import { searchLinearization, type SearchResult } from "./wgl_search.ts";

/** Default bound on the (linearized set, state) pairs one check may explore. */
export const LINEARIZABILITY_STATES_EXPLORED_MAX = 500_000;

/** Options of `checkLinearizability`. */
export interface LinearizabilityOptions {
  /** Bound on states explored over the whole check; hitting it gives `unknown`. */
  readonly statesExploredMax?: number;
}

/** Why a history is not linearizable. */
export interface Counterexample<Input, Output> {
  /** The sub-history (e.g. lock name) that failed. */
  readonly partitionKey: string;
  /** Operations of its smallest non-linearizable prefix, in invocation order. */
  readonly prefixOps: readonly ModelOperation<Input, Output>[];
  /** The operation whose completion ends that prefix: no order fits once it has returned. */
  readonly failingOp: ModelOperation<Input, Output>;
  /** The longest order found for the prefix. */
  readonly linearized: readonly ModelOperation<Input, Output>[];
  /** The model state after `linearized`, described. */
  readonly stateDescription: string;
  /** The operations that could have gone next there, with why each could not (or led nowhere). */
  readonly candidates: readonly { op: ModelOperation<Input, Output>; why: string }[];
}

/** The verdict of a linearizability check. */
export type LinearizabilityVerdict<Input, Output> =
  | { readonly valid: "yes"; readonly statesExplored: number; readonly partitionCount: number }
  | {
    readonly valid: "no";
    readonly statesExplored: number;
    readonly partitionCount: number;
    readonly counterexample: Counterexample<Input, Output>;
  }
  | {
    readonly valid: "unknown";
    readonly statesExplored: number;
    readonly partitionCount: number;
    readonly reason: string;
  };

/** Checks that `ops` are linearizable with respect to `model`. */
export function checkLinearizability<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly ModelOperation<Input, Output>[],
  options: LinearizabilityOptions = {},
): LinearizabilityVerdict<Input, Output> {
  const statesMax = options.statesExploredMax ?? LINEARIZABILITY_STATES_EXPLORED_MAX;
  if (!Number.isSafeInteger(statesMax) || statesMax < 1) {
    throw new RangeError(`Cannot check: statesExploredMax ${statesMax} is not a positive integer`);
  }
  const partitions = partitionOps(model, ops);
  let explored = 0;
  let unknownReason: string | null = null;
  for (const [key, partOps] of partitions) {
    const result = searchLinearization(model, partOps, statesMax - explored);
    explored += result.statesExplored;
    if (result.valid === "unknown") {
      unknownReason ??= `search bound of ${statesMax} states hit in partition ${key}`;
      if (explored >= statesMax) break;
    } else if (result.valid === "no") {
      const shrunk = shrinkToPrefix(model, key, partOps, result, statesMax - explored);
      explored += shrunk.statesExplored;
      return {
        valid: "no",
        statesExplored: explored,
        partitionCount: partitions.size,
        counterexample: shrunk.counterexample,
      };
    }
  }
  const partitionCount = partitions.size;
  if (unknownReason !== null) {
    return { valid: "unknown", statesExplored: explored, partitionCount, reason: unknownReason };
  }
  return { valid: "yes", statesExplored: explored, partitionCount };
}

/** Renders a verdict as text for a test failure message or a report. */
export function describeVerdict<State, Input, Output>(
  model: Model<State, Input, Output>,
  verdict: LinearizabilityVerdict<Input, Output>,
): string {
  const head = `${model.name}: ${verdict.valid} (${verdict.partitionCount} partitions, ` +
    `${verdict.statesExplored} states explored)`;
  if (verdict.valid === "yes") return head;
  if (verdict.valid === "unknown") return `${head}: ${verdict.reason}`;
  const c = verdict.counterexample;
  const line = (op: ModelOperation<Input, Output>) =>
    `#${op.id} p${op.process} ${model.describeOperation(op.input, op.outcome)}`;
  return [
    head,
    `partition ${c.partitionKey}: no linearization once #${c.failingOp.id} has returned`,
    `smallest failing prefix (${c.prefixOps.length} ops):`,
    ...c.prefixOps.map((op) => `  ${line(op)}`),
    `longest linearization found:`,
    ...c.linearized.map((op) => `  ${line(op)}`),
    `  => ${c.stateDescription}`,
    `then none of these could go next:`,
    ...c.candidates.map(({ op, why }) => `  ${line(op)}: ${why}`),
  ].join("\n");
}

function partitionOps<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly ModelOperation<Input, Output>[],
): Map<string, ModelOperation<Input, Output>[]> {
  const byKey = new Map<string, ModelOperation<Input, Output>[]>();
  for (const op of ops) {
    if (!(op.completeOrder >= op.invokeOrder)) {
      throw new RangeError(
        `Cannot check: operation ${op.id} completes at ${op.completeOrder}, ` +
          `before its invocation at ${op.invokeOrder}`,
      );
    }
    const key = model.partitionKey(op.input);
    const list = byKey.get(key) ?? [];
    list.push(op);
    byKey.set(key, list);
  }
  return new Map([...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The prefix ending at `cut`: later invocations dropped, later completions made unknown. */
function prefixAt<Input, Output>(
  ops: readonly ModelOperation<Input, Output>[],
  cut: number,
): ModelOperation<Input, Output>[] {
  const unknown: Outcome<Output> = { kind: "unknown" };
  return ops
    .filter((op) => op.invokeOrder <= cut)
    .map((
      op,
    ) => (op.outcome.kind === "ok" && op.completeOrder > cut ? { ...op, outcome: unknown } : op));
}

function shrinkToPrefix<State, Input, Output>(
  model: Model<State, Input, Output>,
  partitionKey: string,
  ops: readonly ModelOperation<Input, Output>[],
  failed: SearchResult<State>,
  statesMax: number,
): { statesExplored: number; counterexample: Counterexample<Input, Output> } {
  const okOps = ops.filter((op) => op.outcome.kind === "ok");
  const cuts = [...new Set(okOps.map((op) => op.completeOrder))].sort((a, b) => a - b);
  // Non-linearizability is monotone in the prefix: binary search the first failing cut.
  let best = { cut: cuts[cuts.length - 1] ?? Number.POSITIVE_INFINITY, prefixOps: ops, failed };
  let low = 0;
  let high = cuts.length - 1;
  let explored = 0;
  while (low < high) {
    const middle = (low + high) >> 1;
    const prefixOps = prefixAt(ops, cuts[middle]!);
    const result = searchLinearization(model, prefixOps, statesMax - explored);
    explored += result.statesExplored;
    if (result.valid === "no") {
      high = middle;
      best = { cut: cuts[middle]!, prefixOps, failed: result };
    } else if (result.valid === "yes") {
      low = middle + 1;
    } else {
      break; // out of budget: keep the smallest failing prefix known so far
    }
  }
  return { statesExplored: explored, counterexample: explain(model, partitionKey, best) };
}

function explain<State, Input, Output>(
  model: Model<State, Input, Output>,
  partitionKey: string,
  best: {
    cut: number;
    prefixOps: readonly ModelOperation<Input, Output>[];
    failed: SearchResult<State>;
  },
): Counterexample<Input, Output> {
  const { cut, prefixOps } = best;
  const deepest = best.failed.deepest;
  const failingOp = prefixOps.find((op) => op.outcome.kind === "ok" && op.completeOrder === cut) ??
    prefixOps[prefixOps.length - 1]!;
  const candidates = deepest.candidates.map((index) => {
    const op = prefixOps[index]!;
    const here = model.stateKey(deepest.state);
    const next = model.step(deepest.state, op.input, op.outcome)
      .filter((state) => op.outcome.kind === "ok" || model.stateKey(state) !== here);
    const why = next.length > 0
      ? "possible here, but every order after it fails"
      : op.outcome.kind === "ok"
      ? model.explainRejection(deepest.state, op.input, op.outcome)
      : "unknown outcome that would change nothing here";
    return { op, why };
  });
  return {
    partitionKey,
    prefixOps,
    failingOp,
    linearized: deepest.linearized.map((index) => prefixOps[index]!),
    stateDescription: model.describeState(deepest.state),
    candidates,
  };
}
