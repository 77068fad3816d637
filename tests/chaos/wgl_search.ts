/**
 * The Wing-Gong-Lowe linearizability search over one independent sub-history, with Lowe's
 * memoization: a (set of linearized operations, model state) pair is explored at most once.
 * Operations with an unknown outcome need not be linearized at all: their return entry sits at
 * their deadline (usually infinity), where "never happened" is the only choice left.
 */
import { assert } from "../../src/util/assert.ts";
import type { Model, ModelOperation } from "./model.ts";

/** Where the search got furthest: the basis of a counterexample. */
export interface DeepestPoint<State> {
  /** Indexes (into the searched array) of the operations linearized, in order. */
  readonly linearized: readonly number[];
  /** Model state after them. */
  readonly state: State;
  /** Indexes of the operations that could have gone next (invoked before `blocking` returned). */
  readonly candidates: readonly number[];
  /** Index of the first operation whose completion forbade going further, or -1. */
  readonly blocking: number;
}

/** The result of searching one sub-history. */
export interface SearchResult<State> {
  /** `yes` linearizable, `no` not, `unknown` when the state bound was hit first. */
  readonly valid: "yes" | "no" | "unknown";
  /** Distinct (linearized set, state) pairs visited. */
  readonly statesExplored: number;
  /** The furthest point reached. */
  readonly deepest: DeepestPoint<State>;
}

interface Frame<State> {
  readonly op: number;
  readonly state: State;
  readonly stateKey: string;
  readonly choiceIndex: number;
}

/** A doubly linked list of call and return entries in real-time order (dancing links). */
class EntryList {
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Operation index of each entry. */
  readonly entryOp: Int32Array;
  /** 1 for a call entry, 0 for a return entry. */
  readonly isCall: Uint8Array;
  /** Call entry of each operation. */
  readonly callEntry: Int32Array;
  /** Return entry of each operation. */
  readonly returnEntry: Int32Array;

  constructor(orders: readonly { invoke: number; complete: number }[]) {
    const count = orders.length * 2;
    const sorted = Array.from({ length: count }, (_, i) => i).sort((a, b) => {
      const orderA = a % 2 === 0 ? orders[a >> 1]!.invoke : orders[a >> 1]!.complete;
      const orderB = b % 2 === 0 ? orders[b >> 1]!.invoke : orders[b >> 1]!.complete;
      if (orderA !== orderB) return orderA < orderB ? -1 : 1;
      return (a % 2) - (b % 2) || a - b; // calls first on ties: concurrent, the lenient reading
    });
    this.head = count;
    this.next = new Int32Array(count + 1).fill(-1);
    this.prev = new Int32Array(count + 1).fill(-1);
    this.entryOp = new Int32Array(count);
    this.isCall = new Uint8Array(count);
    this.callEntry = new Int32Array(orders.length);
    this.returnEntry = new Int32Array(orders.length);
    let previous = this.head;
    sorted.forEach((code, entry) => {
      const op = code >> 1;
      this.entryOp[entry] = op;
      this.isCall[entry] = code % 2 === 0 ? 1 : 0;
      if (code % 2 === 0) this.callEntry[op] = entry;
      else this.returnEntry[op] = entry;
      this.next[previous] = entry;
      this.prev[entry] = previous;
      previous = entry;
    });
  }

  /** Unlinks the call and return entries of `op`. */
  lift(op: number): void {
    this.#unlink(this.callEntry[op]!);
    this.#unlink(this.returnEntry[op]!);
  }

  /** Relinks what `lift(op)` unlinked; calls must be undone in reverse order. */
  unlift(op: number): void {
    this.#relink(this.returnEntry[op]!);
    this.#relink(this.callEntry[op]!);
  }

  #unlink(entry: number): void {
    const before = this.prev[entry]!;
    const after = this.next[entry]!;
    this.next[before] = after;
    if (after !== -1) this.prev[after] = before;
  }

  #relink(entry: number): void {
    const before = this.prev[entry]!;
    const after = this.next[entry]!;
    this.next[before] = entry;
    if (after !== -1) this.prev[after] = entry;
  }
}

/** Frame choice index of an unknown operation that reached its deadline: it never happened. */
const NEVER = -1;

/** Searches for a linearization of `ops`, exploring at most `statesExploredMax` states. */
export function searchLinearization<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly ModelOperation<Input, Output>[],
  statesExploredMax: number,
): SearchResult<State> {
  return new Search(model, ops, statesExploredMax).run();
}

/** The search's mutable state; one instance per search. */
class Search<State, Input, Output> {
  readonly #model: Model<State, Input, Output>;
  readonly #ops: readonly ModelOperation<Input, Output>[];
  readonly #statesMax: number;
  readonly #known: readonly boolean[];
  readonly #list: EntryList;
  readonly #bits: Uint16Array;
  readonly #cache = new Set<string>();
  readonly #stack: Frame<State>[] = [];
  #state: State;
  #stateKey: string;
  #definiteDone = 0;
  #explored = 0;
  #deepest: DeepestPoint<State>;
  #entry: number;
  #choiceStart = 0;

  constructor(
    model: Model<State, Input, Output>,
    ops: readonly ModelOperation<Input, Output>[],
    statesMax: number,
  ) {
    this.#model = model;
    this.#ops = ops;
    this.#statesMax = statesMax;
    this.#known = ops.map((op) => op.outcome.kind === "ok");
    // An unknown outcome's "completion" is its deadline: took effect before it, or never.
    this.#list = new EntryList(
      ops.map((op) => ({ invoke: op.invokeOrder, complete: op.completeOrder })),
    );
    this.#bits = new Uint16Array(Math.max(1, Math.ceil(ops.length / 16)));
    this.#state = model.init();
    this.#stateKey = model.stateKey(this.#state);
    this.#deepest = pointOf(this.#list, this.#stack, this.#state);
    this.#entry = this.#list.next[this.#list.head]!;
  }

  run(): SearchResult<State> {
    const definiteCount = this.#known.filter((k) => k).length;
    while (this.#definiteDone < definiteCount) {
      const entry = this.#entry;
      assert(entry !== -1, "a known return entry remains while known operations are pending");
      const op = this.#list.entryOp[entry]!;
      let outcome: "pushed" | "seen" | "bound" = "seen";
      if (this.#list.isCall[entry] === 1) {
        outcome = this.#tryCall(op);
        if (outcome === "seen") {
          this.#entry = this.#list.next[entry]!;
          this.#choiceStart = 0;
        }
      } else {
        // A return entry: `op` must have been linearized already, unless it may never happen.
        if (!this.#known[op]) outcome = this.#push(op, this.#state, this.#stateKey, NEVER);
        if (outcome === "seen" && !this.#backtrack()) return this.#result("no");
      }
      if (outcome === "bound") return this.#result("unknown");
      if (outcome === "pushed") {
        this.#entry = this.#list.next[this.#list.head]!;
        this.#choiceStart = 0;
      }
    }
    return this.#result("yes");
  }

  /** Tries the model's next states for `op` from the current choice on. */
  #tryCall(op: number): "pushed" | "seen" | "bound" {
    const operation = this.#ops[op]!;
    const choices = this.#model.step(this.#state, operation.input, operation.outcome);
    for (let k = this.#choiceStart; k < choices.length; k++) {
      const nextState = choices[k] as State;
      const nextKey = this.#model.stateKey(nextState);
      if (!this.#known[op] && nextKey === this.#stateKey) continue; // same as never happening
      const outcome = this.#push(op, nextState, nextKey, k);
      if (outcome !== "seen") return outcome;
    }
    return "seen";
  }

  /** Linearizes `op` leading to `nextState`, unless that pair was explored before. */
  #push(op: number, nextState: State, nextKey: string, choiceIndex: number) {
    this.#flip(op);
    const cacheKey = String.fromCharCode(...this.#bits) + "\u0000" + nextKey;
    if (this.#cache.has(cacheKey)) {
      this.#flip(op);
      return "seen";
    }
    if (this.#explored >= this.#statesMax) return "bound";
    this.#cache.add(cacheKey);
    this.#explored++;
    this.#stack.push({ op, state: this.#state, stateKey: this.#stateKey, choiceIndex });
    this.#list.lift(op);
    if (this.#known[op]) this.#definiteDone++;
    this.#state = nextState;
    this.#stateKey = nextKey;
    if (this.#stack.length > this.#deepest.linearized.length) {
      this.#deepest = pointOf(this.#list, this.#stack, this.#state);
    }
    return "pushed";
  }

  /** Undoes the latest choice and resumes at its next alternative; false when none is left. */
  #backtrack(): boolean {
    while (true) {
      const frame = this.#stack.pop();
      if (frame === undefined) return false;
      this.#list.unlift(frame.op);
      this.#flip(frame.op);
      if (this.#known[frame.op]) this.#definiteDone--;
      this.#state = frame.state;
      this.#stateKey = frame.stateKey;
      if (frame.choiceIndex === NEVER) continue; // "never happened" was its last alternative
      this.#entry = this.#list.callEntry[frame.op]!;
      this.#choiceStart = frame.choiceIndex + 1;
      return true;
    }
  }

  #flip(op: number): void {
    this.#bits[op >> 4] = this.#bits[op >> 4]! ^ (1 << (op & 15));
  }

  #result(valid: "yes" | "no" | "unknown"): SearchResult<State> {
    return { valid, statesExplored: this.#explored, deepest: this.#deepest };
  }
}

function pointOf<State>(list: EntryList, stack: readonly Frame<State>[], state: State) {
  const candidates: number[] = [];
  let blocking = -1;
  for (let entry = list.next[list.head]!; entry !== -1; entry = list.next[entry]!) {
    if (list.isCall[entry] === 0) {
      blocking = list.entryOp[entry]!;
      break;
    }
    candidates.push(list.entryOp[entry]!);
  }
  return { linearized: stack.map((frame) => frame.op), state, candidates, blocking };
}
