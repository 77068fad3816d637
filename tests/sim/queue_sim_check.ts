import { messageId, type QueueStats } from "../../src/queues/mod.ts";
import type { AppliedQueueOp } from "./queue_sim_history.ts";

/** The committed state after the drain: live messages and each partition's counters. */
export interface QueueFinalState {
  /** Payload text of every live message, in any queue (the queue and its dead queue). */
  readonly livePayloads: ReadonlySet<string>;
  /** Counters of every partition of the queue and of its dead queue, labelled. */
  readonly partitions: ReadonlyArray<{ readonly label: string; readonly stats: QueueStats }>;
  /** Name of the workload's queue (pushes there count towards its `pushed`). */
  readonly queue: string;
}

/** What the checker found. */
export interface QueueCheckResult {
  readonly violations: string[];
  /** Acknowledged pushes (a client got the id). */
  readonly acknowledgedPushes: number;
  /** Committed pushes that added a message. */
  readonly messages: number;
  /** Deliveries after the first of a message (at-least-once duplicates). */
  readonly redeliveries: number;
  /** Messages that went to the dead queue at least once. */
  readonly deadLetters: number;
  /** Messages dropped by TTL (by the counters). */
  readonly dropped: number;
}

interface Tracked {
  readonly payload: string;
  readonly pushIndex: number;
  readonly acknowledged: boolean;
  readonly key: string | null;
  readonly partition: number;
  readonly ttl: boolean;
  acked: boolean;
  firstDeliverIndex: number | null;
  deliveries: number;
  dead: boolean;
}

const TEXT = new TextDecoder();
/** Violations listed at most (the count is always given). */
const VIOLATIONS_SHOWN_MAX = 20;

/**
 * Checks a queue history after the run (the committed log in order, which of its entries were
 * acknowledged, the state after the drain): no pushed message is lost (each ends acked, live, or
 * dropped by its TTL, and the drops match the counters), no message is delivered after an
 * acknowledged ack of it, first deliveries of a key come in push order, and every partition's
 * counters add up (pushed = acked + dead + dropped + ready + inflight + delayed).
 */
export function checkQueueHistory(
  log: readonly AppliedQueueOp[],
  acknowledged: (index: number) => boolean,
  final: QueueFinalState,
): QueueCheckResult {
  const violations: string[] = [];
  const byId = new Map<string, Tracked>();
  const ackedAt = new Map<Tracked, number>();
  let pushedToQueue = 0;
  for (const { index, op, outcome } of log) {
    if (op.op === "push" && outcome.kind === "pushed" && !outcome.duplicate) {
      const payload = TEXT.decode(op.payload);
      byId.set(outcome.id, {
        payload,
        pushIndex: index,
        acknowledged: acknowledged(index),
        key: op.key === null ? null : TEXT.decode(op.key),
        partition: op.partition,
        ttl: op.ttlMs !== null,
        acked: false,
        firstDeliverIndex: null,
        deliveries: 0,
        dead: false,
      });
      if (TEXT.decode(op.queue) === final.queue) pushedToQueue++;
    } else if (op.op === "deliver" && outcome.kind === "delivered") {
      const fromDead = TEXT.decode(op.queue) !== final.queue;
      for (const message of outcome.messages) {
        const tracked = byId.get(message.id);
        if (tracked === undefined) {
          violations.push(`index ${index}: delivered ${message.id}, which no push added`);
          continue;
        }
        if (TEXT.decode(message.payload) !== tracked.payload) {
          violations.push(`index ${index}: ${message.id} delivered with another payload`);
        }
        const ackIndex = ackedAt.get(tracked);
        if (ackIndex !== undefined) {
          violations.push(
            `index ${index}: ${message.id} (${tracked.payload}) delivered after its ack at ` +
              `${ackIndex} was acknowledged`,
          );
        }
        tracked.deliveries++;
        if (fromDead) tracked.dead = true;
        else tracked.firstDeliverIndex ??= index;
      }
    } else if (op.op === "ack" && outcome.kind === "done" && outcome.found) {
      const tracked = byId.get(messageId(op.partition, op.sequence));
      if (tracked === undefined) continue;
      tracked.acked = true;
      if (acknowledged(index)) ackedAt.set(tracked, index);
    }
  }
  const messages = [...byId.values()];
  let missing = 0;
  for (const m of messages) {
    if (m.acked || final.livePayloads.has(m.payload)) continue;
    if (m.ttl) {
      missing++;
      continue;
    }
    violations.push(
      `${m.acknowledged ? "acknowledged" : "committed"} push ${m.payload} (index ${m.pushIndex}) ` +
        `lost: never acked, not in the state, no TTL`,
    );
  }
  checkKeyOrder(messages, violations);
  const dropped = checkCounts(final, pushedToQueue, violations);
  if (dropped !== missing) {
    violations.push(
      `${missing} messages with a TTL gone unacked, but the counters drop ${dropped}`,
    );
  }
  const shown = violations.slice(0, VIOLATIONS_SHOWN_MAX);
  if (violations.length > shown.length) shown.push(`... ${violations.length} violations in all`);
  return {
    violations: shown,
    acknowledgedPushes: messages.filter((m) => m.acknowledged).length,
    messages: messages.length,
    redeliveries: messages.reduce((sum, m) => sum + Math.max(0, m.deliveries - 1), 0),
    deadLetters: messages.filter((m) => m.dead).length,
    dropped,
  };
}

/** First deliveries from the queue of each (partition, key) follow push order. */
function checkKeyOrder(messages: readonly Tracked[], violations: string[]): void {
  const byKey = new Map<string, Tracked[]>();
  for (const m of messages) {
    if (m.key === null || m.firstDeliverIndex === null) continue;
    const group = `${m.partition}/${m.key}`;
    byKey.set(group, [...byKey.get(group) ?? [], m]);
  }
  for (const [group, list] of byKey) {
    list.sort((a, b) => a.pushIndex - b.pushIndex);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1]!;
      const after = list[i]!;
      if (after.firstDeliverIndex! < before.firstDeliverIndex!) {
        violations.push(
          `key ${group}: ${after.payload} (pushed at ${after.pushIndex}) first delivered at ` +
            `${after.firstDeliverIndex}, before ${before.payload} (pushed at ` +
            `${before.pushIndex}) at ${before.firstDeliverIndex}`,
        );
      }
    }
  }
}

/** Every partition's counters add up; returns the TTL drops they count. */
function checkCounts(final: QueueFinalState, pushedToQueue: number, violations: string[]): number {
  let dropped = 0;
  let pushed = 0;
  for (const { label, stats: s } of final.partitions) {
    dropped += s.dropped;
    if (label.startsWith(`${final.queue}#`)) pushed += s.pushed;
    const out = s.acked + s.dead + s.dropped + s.ready + s.inflight + s.delayed;
    if (s.pushed !== out) {
      violations.push(`${label}: pushed ${s.pushed} != acked+dead+dropped+live ${out}`);
    }
  }
  if (pushed !== pushedToQueue) {
    violations.push(`${final.queue}: counters say ${pushed} pushed, the log ${pushedToQueue}`);
  }
  return dropped;
}
