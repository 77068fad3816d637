/** The sequential specification a linearizability check compares a history against. */

/** What the client saw: a result, or nothing certain (timeout, lost connection). */
export type Outcome<Output> =
  | { readonly kind: "ok"; readonly output: Output }
  | { readonly kind: "unknown" };

/** A sequential model; every method is pure and deterministic. */
export interface Model<State, Input, Output> {
  /** Name used in reports. */
  readonly name: string;
  /** The state before any operation. */
  init(): State;
  /**
   * Every state the operation can lead to when it takes effect in `state` and is seen with
   * `outcome`, in a fixed order; empty when the outcome is impossible there. An unknown outcome
   * lists the states of every possible result.
   */
  step(state: State, input: Input, outcome: Outcome<Output>): readonly State[];
  /** Canonical text of a state: equal states, and only those, give equal keys. */
  stateKey(state: State): string;
  /** The independent sub-history an input belongs to (P-compositionality), e.g. a lock name. */
  partitionKey(input: Input): string;
  /** One line for reports, e.g. `acquire L1 c1 EXCLUSIVE -> 7`. */
  describeOperation(input: Input, outcome: Outcome<Output>): string;
  /** One line for reports. */
  describeState(state: State): string;
  /** Why `step` returns no state here, one line. */
  explainRejection(state: State, input: Input, outcome: Outcome<Output>): string;
}

/** One operation handed to the checker. */
export interface ModelOperation<Input, Output> {
  /** Caller's id of the operation (e.g. its `opIndex` in the history); unique per check. */
  readonly id: number;
  /** Client process that ran it. */
  readonly process: number;
  /** What was asked. */
  readonly input: Input;
  /** What was seen. Operations that definitely did not happen are not handed to the checker. */
  readonly outcome: Outcome<Output>;
  /** Real-time position of the invocation (event index or ms). */
  readonly invokeOrder: number;
  /**
   * Real-time position of the completion (>= invokeOrder). For an unknown outcome: the deadline
   * by which it took effect if it ever did, `Infinity` when there is none (the sound default).
   */
  readonly completeOrder: number;
}
