import type { QueueRequest } from "./arguments.ts";
import { partitionOfKey } from "./routing.ts";
import {
  type DeliveredMessage,
  limitMessage,
  type QueueOp,
  type QueueOutcome,
  type QueueStats,
} from "./types.ts";

/** The domain answer to a queue command; the command layer writes it as RESP. */
export type QueueAnswer =
  /** `+OK` (CONFIG). */
  | { kind: "ok" }
  /** Bulk string: the message id (PUSH). */
  | { kind: "id"; id: string }
  /** Integer (ACK, NACK, TOUCH: 1 or 0; LEN). */
  | { kind: "integer"; value: number }
  /** Array of `[id, payload, delivery-count]` (POP; empty when none). */
  | { kind: "messages"; messages: DeliveredMessage[] }
  /** Array of name/value pairs (STATS), in the contract's order, then `dropped`. */
  | { kind: "pairs"; pairs: [string, number][] }
  /** An error line without its `-` (`LIMIT ...`, or a cluster error such as `TRYAGAIN ...`). */
  | { kind: "error"; line: string };

/**
 * The partition a PUSH goes to: by its KEY, else by its DEDUP id (so repeats meet), else
 * `spread % partitions` (the node passes a counter it bumps per push, spreading the load).
 */
export function pushPartition(
  request: QueueRequest & { command: "push" },
  partitions: number,
  spread: number,
): number {
  if (request.key !== null) return partitionOfKey(request.key, partitions);
  if (request.dedupId !== null) return partitionOfKey(request.dedupId, partitions);
  return spread % partitions;
}

/**
 * The partitions a request must reach: PUSH one (pushPartition), ACK/NACK/TOUCH the one its id
 * names (none when the id is malformed: answer `:0`), POP all of them in turn from `spread`,
 * LEN/STATS/CONFIG all of them.
 */
export function partitionsOf(request: QueueRequest, partitions: number, spread: number): number[] {
  switch (request.command) {
    case "push":
      return [pushPartition(request, partitions, spread)];
    case "ack":
    case "nack":
    case "touch":
      return request.id === null ? [] : [request.id.partition];
    case "pop":
      return Array.from({ length: partitions }, (_, i) => (spread + i) % partitions);
    default:
      return Array.from({ length: partitions }, (_, i) => i);
  }
}

/**
 * The op a request proposes to `partition` at log time `nowMs`; `countMax` is what a POP still
 * wants. Null for LEN and STATS (reads) and for an id that names no message.
 */
export function opOf(
  request: QueueRequest,
  partition: number,
  nowMs: number,
  countMax = 1,
): QueueOp | null {
  const target = { queue: request.queue, partition, nowMs };
  switch (request.command) {
    case "push": {
      const { payload, key, delayMs, ttlMs, priority, dedupId } = request;
      return { op: "push", ...target, payload, key, delayMs, ttlMs, priority, dedupId };
    }
    case "pop":
      return { op: "deliver", ...target, countMax, visibilityMs: request.visibilityMs };
    case "ack":
      return request.id === null ? null : { op: "ack", ...target, sequence: request.id.sequence };
    case "nack":
      if (request.id === null) return null;
      return { op: "nack", ...target, sequence: request.id.sequence, delayMs: request.delayMs };
    case "touch":
      if (request.id === null) return null;
      return {
        op: "touch",
        ...target,
        sequence: request.id.sequence,
        visibilityMs: request.visibilityMs,
      };
    case "config":
      return {
        op: "config",
        ...target,
        maxDeliver: request.maxDeliver,
        visibilityMs: request.visibilityMs,
      };
    default:
      return null;
  }
}

/** The answer of one partition's outcome (a POP gathers several with gatherMessages). */
export function answerOfOutcome(outcome: QueueOutcome): QueueAnswer {
  switch (outcome.kind) {
    case "pushed":
      return { kind: "id", id: outcome.id };
    case "delivered":
      return { kind: "messages", messages: outcome.messages };
    case "done":
      return { kind: "integer", value: outcome.found ? 1 : 0 };
    case "configured":
      return { kind: "ok" };
    case "ticked":
      return { kind: "integer", value: outcome.events };
    case "limit":
      return { kind: "error", line: `LIMIT ${limitMessage(outcome)}` };
    case "invalid":
      return { kind: "error", line: `ERR invalid queue operation: ${outcome.message}` };
  }
}

/** The answer to ACK/NACK/TOUCH whose id names no message: `:0`. */
export const UNKNOWN_ID_ANSWER: QueueAnswer = Object.freeze({ kind: "integer", value: 0 });

/** QUEUE.LEN: ready messages summed over the partitions' stats. */
export function lenAnswer(stats: readonly QueueStats[]): QueueAnswer {
  return { kind: "integer", value: stats.reduce((sum, s) => sum + s.ready, 0) };
}

/** QUEUE.STATS: every counter summed over the partitions, as name/value pairs. */
export function statsAnswer(stats: readonly QueueStats[]): QueueAnswer {
  const names = [
    "ready",
    "inflight",
    "delayed",
    "dead",
    "pushed",
    "acked",
    "redelivered",
    "dropped",
  ] as const;
  return {
    kind: "pairs",
    pairs: names.map((name) => [name, stats.reduce((sum, s) => sum + s[name], 0)]),
  };
}
