/**
 * Reads the QUEUE.* operations of a chaos history into pushes, deliveries, acks and final stats
 * for the queue checker. A history records `QUEUE.PUSH q payload [KEY k] [TTL ms] ...` with the
 * message id as its reply, `QUEUE.POP q ...` with `[[id, payload, delivery-count], ...]`,
 * `QUEUE.ACK q id` with 1 or 0, `QUEUE.STATS q` with name/value pairs (flat or nested). Payloads
 * are unique per push attempt (the workload's choice), so a payload names one push. Replies are
 * validated, never asserted: a reply its command cannot give throws a TypeError.
 */
import type { HistoryOperation, JsonValue } from "./history.ts";

/** One push attempt, whatever its outcome. */
export interface QueuePush {
  readonly op: HistoryOperation;
  readonly queue: string;
  readonly payload: string;
  /** `KEY`, or null. */
  readonly key: string | null;
  /** True when pushed with `TTL` or `DELAY` (it may be dropped, or held back). */
  readonly timed: boolean;
  /** The id answered (ok outcome), else null. */
  readonly id: string | null;
}

/** One message returned by a successful POP. */
export interface QueueDelivery {
  /** The POP that returned it. */
  readonly pop: HistoryOperation;
  readonly queue: string;
  readonly id: string;
  readonly payload: string;
  /** The delivery count the server answered. */
  readonly deliveryCount: number;
  /** Position of the message in the POP's reply, 0-based. */
  readonly position: number;
}

/** An ACK answered `:1`: the message was acked, at the latest by the ACK's completion. */
export interface QueueAck {
  readonly op: HistoryOperation;
  readonly queue: string;
  readonly id: string;
}

/** Counters of the last successful QUEUE.STATS of a queue. */
export type QueueStatsReading = Readonly<Record<string, number>>;

/** The queue operations of a history, sorted out. */
export interface QueueHistory {
  /** Every push attempt, in invocation order. */
  readonly pushes: readonly QueuePush[];
  /** Every message of every successful POP, in the POPs' invocation order. */
  readonly deliveries: readonly QueueDelivery[];
  /** POPs whose outcome is unknown (they may have delivered messages nobody saw). */
  readonly unknownPops: readonly HistoryOperation[];
  /** ACKs answered 1. */
  readonly acks: readonly QueueAck[];
  /** Per queue, the last successful QUEUE.STATS (by completion). */
  readonly finalStats: ReadonlyMap<string, QueueStatsReading>;
  /** Operations per command and outcome, e.g. `QUEUE.PUSH ok` → 12. */
  readonly opCounts: ReadonlyMap<string, number>;
}

const PUSH_OPTIONS_WITH_VALUE = new Set(["KEY", "DELAY", "TTL", "PRIORITY", "DEDUP"]);

function strings(op: HistoryOperation): string[] {
  const words = op.args.map((arg) => (typeof arg === "number" ? String(arg) : arg));
  if (!words.every((word): word is string => typeof word === "string")) {
    throw new TypeError(`Cannot parse op #${op.opIndex} ${op.op}: arguments must be strings`);
  }
  return words;
}

/** Parses a recorded QUEUE.PUSH into queue, payload, key and whether it was timed. */
export function parsePush(op: HistoryOperation): Omit<QueuePush, "op" | "id"> {
  const [queue, payload, ...rest] = strings(op);
  if (queue === undefined || payload === undefined) {
    throw new TypeError(`Cannot parse op #${op.opIndex} QUEUE.PUSH: no queue or payload`);
  }
  let key: string | null = null;
  let timed = false;
  for (let i = 0; i < rest.length; i += 2) {
    const option = rest[i]!.toUpperCase();
    const value = rest[i + 1];
    if (!PUSH_OPTIONS_WITH_VALUE.has(option) || value === undefined) {
      throw new TypeError(`Cannot parse op #${op.opIndex} QUEUE.PUSH: bad option ${option}`);
    }
    if (option === "KEY") key = value;
    if (option === "TTL" || option === "DELAY") timed = true;
  }
  return { queue, payload, key, timed };
}

function shapeError(op: HistoryOperation, what: string): TypeError {
  return new TypeError(
    `Cannot check op #${op.opIndex}: ${op.op} answered ${JSON.stringify(op.result)} (${what})`,
  );
}

/** The messages of a successful POP's reply. */
export function parsePopReply(op: HistoryOperation, queue: string): QueueDelivery[] {
  if (!Array.isArray(op.result)) throw shapeError(op, "not an array");
  return (op.result as readonly JsonValue[]).map((message, position) => {
    if (!Array.isArray(message) || message.length !== 3) {
      throw shapeError(op, "a message is not [id, payload, delivery-count]");
    }
    const [id, payload, deliveryCount] = message as readonly JsonValue[];
    if (typeof id !== "string" || typeof payload !== "string") {
      throw shapeError(op, "id and payload must be strings");
    }
    if (typeof deliveryCount !== "number" || !Number.isSafeInteger(deliveryCount)) {
      throw shapeError(op, "delivery-count must be an integer");
    }
    if (deliveryCount < 1) throw shapeError(op, "delivery-count below 1");
    return { pop: op, queue, id, payload, deliveryCount, position };
  });
}

/** The counters of a STATS reply: `[name, n, name, n, ...]` or `[[name, n], ...]`. */
export function parseStatsReply(op: HistoryOperation): QueueStatsReading {
  const result = op.result;
  if (!Array.isArray(result)) throw shapeError(op, "not an array");
  const items = result as readonly JsonValue[];
  const pairs: JsonValue[][] = items.every(Array.isArray)
    ? items.map((pair) => [...pair as readonly JsonValue[]])
    : Array.from({ length: Math.ceil(items.length / 2) }, (_, i) => items.slice(2 * i, 2 * i + 2));
  const stats: Record<string, number> = {};
  for (const pair of pairs) {
    const [name, value] = pair;
    if (pair.length !== 2 || typeof name !== "string" || typeof value !== "number") {
      throw shapeError(op, "not name/value pairs");
    }
    stats[name] = value;
  }
  return stats;
}

/** Sorts the QUEUE.* operations of `ops` (others are skipped). */
export function readQueueHistory(ops: readonly HistoryOperation[]): QueueHistory {
  const pushes: QueuePush[] = [];
  const deliveries: QueueDelivery[] = [];
  const unknownPops: HistoryOperation[] = [];
  const acks: QueueAck[] = [];
  const stats = new Map<string, { at: number; reading: QueueStatsReading }>();
  const opCounts = new Map<string, number>();
  for (const op of ops) {
    const command = op.op.toUpperCase();
    if (!command.startsWith("QUEUE.")) continue;
    const label = `${command} ${op.outcome}`;
    opCounts.set(label, (opCounts.get(label) ?? 0) + 1);
    const queue = strings(op)[0];
    if (queue === undefined) throw new TypeError(`Cannot parse op #${op.opIndex}: no queue`);
    if (command === "QUEUE.PUSH") {
      const id = op.outcome === "ok" ? op.result : null;
      if (id !== null && typeof id !== "string") throw shapeError(op, "not an id");
      pushes.push({ op, ...parsePush(op), id });
    } else if (command === "QUEUE.POP") {
      if (op.outcome === "ok") deliveries.push(...parsePopReply(op, queue));
      else if (op.outcome === "info") unknownPops.push(op);
    } else if (command === "QUEUE.ACK" && op.outcome === "ok") {
      if (op.result !== 0 && op.result !== 1) throw shapeError(op, "not 0 or 1");
      const id = strings(op)[1];
      if (id === undefined) throw new TypeError(`Cannot parse op #${op.opIndex}: no id`);
      if (op.result === 1) acks.push({ op, queue, id });
    } else if (command === "QUEUE.STATS" && op.outcome === "ok") {
      const at = op.completeIndex ?? -1;
      if ((stats.get(queue)?.at ?? -Infinity) < at) {
        stats.set(queue, { at, reading: parseStatsReply(op) });
      }
    }
  }
  const finalStats = new Map([...stats].map(([queue, { reading }]) => [queue, reading]));
  return { pushes, deliveries, unknownPops, acks, finalStats, opCounts };
}
