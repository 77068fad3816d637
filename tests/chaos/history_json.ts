/** JSON (de)serialisation of histories: one event per line inside a JSON array. */
import type { EventType, HistoryEvent, JsonValue } from "./history.ts";

const EVENT_TYPES: ReadonlySet<string> = new Set(["invoke", "ok", "fail", "info"]);

/** Serialises a history as a JSON array, one event object per line. */
export function historyToJson(events: readonly HistoryEvent[]): string {
  if (events.length === 0) return "[]\n";
  return "[\n" + events.map((event) => JSON.stringify(event)).join(",\n") + "\n]\n";
}

/** Parses and validates a history written by `historyToJson` (or by hand). */
export function historyFromJson(text: string): HistoryEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot parse history: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new TypeError("Cannot parse history: expected a JSON array");
  const events = parsed.map((item: unknown, index: number) => parseEvent(item, index));
  for (let index = 1; index < events.length; index++) {
    const previous = events[index - 1] as HistoryEvent;
    const event = events[index] as HistoryEvent;
    if (event.timeMs < previous.timeMs) {
      throw new RangeError(
        `Cannot parse history: event ${index} time ${event.timeMs} ms precedes ` +
          `event ${index - 1} time ${previous.timeMs} ms`,
      );
    }
  }
  return events;
}

function parseEvent(item: unknown, index: number): HistoryEvent {
  const where = `Cannot parse history: event ${index}`;
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw new TypeError(`${where} is not an object`);
  }
  const record = item as Record<string, unknown>;
  const { eventIndex, type, process, timeMs, op, args, result } = record;
  if (eventIndex !== index) {
    throw new TypeError(`${where} has eventIndex ${String(eventIndex)}, expected ${index}`);
  }
  if (typeof type !== "string" || !EVENT_TYPES.has(type)) {
    throw new TypeError(`${where} has type ${JSON.stringify(type)}, expected invoke/ok/fail/info`);
  }
  if (typeof process !== "number" || !Number.isSafeInteger(process) || process < 0) {
    throw new TypeError(`${where} has process ${String(process)}, expected an integer >= 0`);
  }
  if (typeof timeMs !== "number" || !Number.isFinite(timeMs)) {
    throw new TypeError(`${where} has timeMs ${String(timeMs)}, expected a finite number`);
  }
  if (typeof op !== "string") throw new TypeError(`${where} has a non-string op`);
  if (!Array.isArray(args)) throw new TypeError(`${where} has args that are not an array`);
  return {
    eventIndex: index,
    type: type as EventType,
    process,
    timeMs,
    op,
    args: args as JsonValue[],
    result: (result ?? null) as JsonValue,
  };
}
