/**
 * A Jepsen-style history: what clients invoked, and how each call ended. `ok` means the operation
 * happened with that result, `fail` that it definitely did not happen, `info` that it may or may
 * not have happened (a timeout, a lost connection). Events are appended in real-time order by one
 * recorder, so an event's position is a total order consistent with real time.
 */
import { assert } from "../../src/util/assert.ts";

/** A JSON value: what args and results are made of. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** The kind of a history event. */
export type EventType = "invoke" | "ok" | "fail" | "info";

/** How an operation ended: `info` also for operations still pending at the end. */
export type OperationOutcome = "ok" | "fail" | "info";

/** One recorded event. */
export interface HistoryEvent {
  /** Position in the history, 0-based; equals the event's array index. */
  readonly eventIndex: number;
  /** Invocation or one of the three completions. */
  readonly type: EventType;
  /** Client process id, a non-negative integer; a process has at most one pending operation. */
  readonly process: number;
  /** Monotonic clock reading in ms (non-decreasing along the history). */
  readonly timeMs: number;
  /** Operation name, e.g. `LOCK.ACQUIRE`. */
  readonly op: string;
  /** Operation arguments (completions repeat the invocation's). */
  readonly args: readonly JsonValue[];
  /** Reply on `ok`, error text on `fail`/`info`, null on `invoke`. */
  readonly result: JsonValue;
}

/** An invocation paired with its completion. */
export interface HistoryOperation {
  /** Position among operations, in invocation order, 0-based. */
  readonly opIndex: number;
  /** Client process id. */
  readonly process: number;
  /** Operation name. */
  readonly op: string;
  /** Operation arguments. */
  readonly args: readonly JsonValue[];
  /** How it ended; `info` when it never completed. */
  readonly outcome: OperationOutcome;
  /** Reply on `ok`, error text on `fail`/`info`, null when it never completed. */
  readonly result: JsonValue;
  /** Event index of the invocation. */
  readonly invokeIndex: number;
  /** Event index of the completion, null when it never completed. */
  readonly completeIndex: number | null;
  /** Clock reading of the invocation, ms. */
  readonly invokeMs: number;
  /** Clock reading of the completion in ms, null when it never completed. */
  readonly completeMs: number | null;
}

/** Default bound on the events one recorder keeps. */
export const HISTORY_EVENT_COUNT_MAX = 1_000_000;

/** Error codes after which the command definitely did not take effect (dsync contract). */
const DEFINITE_FAILURE_CODES: ReadonlySet<string> = new Set([
  "ERR",
  "NOAUTH",
  "WRONGPASS",
  "NOPERM",
  "NOQUORUM",
  "TRYAGAIN",
  "DEADLOCK",
  "NOTOWNER",
  "LIMIT",
]);

/** Classifies an error reply or exception text: `fail` only when it surely did not happen. */
export function outcomeOfError(message: string): "fail" | "info" {
  const code = message.trimStart().replace(/^-/, "").split(/\s/, 1)[0] ?? "";
  return DEFINITE_FAILURE_CODES.has(code) ? "fail" : "info";
}

/** Records a history, stamping each event with the given monotonic clock. */
export class HistoryRecorder {
  readonly #clock: () => number;
  readonly #eventCountMax: number;
  readonly #events: HistoryEvent[] = [];
  readonly #pending = new Map<number, HistoryEvent>();

  /** `clock` returns ms (e.g. `() => performance.now()`); `eventCountMax` bounds the history. */
  constructor(clock: () => number, eventCountMax: number = HISTORY_EVENT_COUNT_MAX) {
    assert(Number.isSafeInteger(eventCountMax) && eventCountMax > 0, "eventCountMax positive");
    this.#clock = clock;
    this.#eventCountMax = eventCountMax;
  }

  /** The events so far, in order. */
  events(): readonly HistoryEvent[] {
    return this.#events;
  }

  /** Number of processes with an operation in flight. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Records that `process` invokes `op` with `args`. */
  invoke(process: number, op: string, args: readonly JsonValue[]): void {
    assert(Number.isSafeInteger(process) && process >= 0, "process is a non-negative integer");
    assert(!this.#pending.has(process), `process ${process} already has a pending operation`);
    const event = this.#append("invoke", process, op, args, null);
    this.#pending.set(process, event);
  }

  /** Records that the pending operation of `process` happened with `result`. */
  ok(process: number, result: JsonValue): void {
    this.#complete("ok", process, result);
  }

  /** Records that the pending operation of `process` definitely did not happen. */
  fail(process: number, error: string): void {
    this.#complete("fail", process, error);
  }

  /** Records that the pending operation of `process` may or may not have happened. */
  info(process: number, error: string): void {
    this.#complete("info", process, error);
  }

  /** Invokes, runs `call`, and records its result; a thrown error is classified by its text. */
  async run(
    process: number,
    op: string,
    args: readonly JsonValue[],
    call: () => Promise<JsonValue>,
  ): Promise<JsonValue> {
    this.invoke(process, op, args);
    let result: JsonValue;
    try {
      result = await call();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.#complete(outcomeOfError(text), process, text);
      throw error;
    }
    this.ok(process, result);
    return result;
  }

  #complete(type: EventType, process: number, result: JsonValue): void {
    const invocation = this.#pending.get(process);
    assert(invocation !== undefined, `process ${process} has no pending operation`);
    this.#pending.delete(process);
    this.#append(type, process, invocation.op, invocation.args, result);
  }

  #append(
    type: EventType,
    process: number,
    op: string,
    args: readonly JsonValue[],
    result: JsonValue,
  ): HistoryEvent {
    if (this.#events.length >= this.#eventCountMax) {
      throw new RangeError(
        `Cannot record event: history holds ${this.#events.length} events, ` +
          `the maximum of ${this.#eventCountMax}`,
      );
    }
    const timeMs = this.#clock();
    const last = this.#events[this.#events.length - 1];
    assert(last === undefined || timeMs >= last.timeMs, "the clock is monotonic");
    const event = { eventIndex: this.#events.length, type, process, timeMs, op, args, result };
    this.#events.push(event);
    return event;
  }
}

/** Pairs invocations with completions; an operation never completed ends as `info`. */
export function pairOperations(events: readonly HistoryEvent[]): HistoryOperation[] {
  const invocations: HistoryEvent[] = [];
  const completions = new Map<number, HistoryEvent>();
  const pending = new Map<number, HistoryEvent>();
  for (const event of events) {
    const open = pending.get(event.process);
    if (event.type === "invoke") {
      if (open !== undefined) {
        throw new Error(
          `Cannot pair history: event ${event.eventIndex} invokes on process ${event.process}, ` +
            "which already has a pending operation",
        );
      }
      pending.set(event.process, event);
      invocations.push(event);
    } else {
      if (open === undefined) {
        throw new Error(
          `Cannot pair history: event ${event.eventIndex} completes process ${event.process}, ` +
            "which has no pending operation",
        );
      }
      pending.delete(event.process);
      completions.set(open.eventIndex, event);
    }
  }
  return invocations.map((invoke, opIndex) => {
    const end = completions.get(invoke.eventIndex) ?? null;
    return {
      opIndex,
      process: invoke.process,
      op: invoke.op,
      args: invoke.args,
      outcome: end === null ? "info" : end.type as OperationOutcome,
      result: end === null ? null : end.result,
      invokeIndex: invoke.eventIndex,
      completeIndex: end === null ? null : end.eventIndex,
      invokeMs: invoke.timeMs,
      completeMs: end === null ? null : end.timeMs,
    };
  });
}
