/**
 * The queue checker of a chaos run (issue 12), pure: no processes, no clock. From a history of
 * QUEUE.* operations (see queue_history.ts) it proves, or finds a counterexample to:
 * - deliveries: every delivered message was pushed, by a push that did not definitely fail;
 * - no loss: every acknowledged push was delivered (from the queue or its `:dead` queue), or is
 *   still counted by the final QUEUE.STATS of the two queues (ready, inflight, delayed, or dropped
 *   by TTL);
 * - ack: no message is delivered by a POP invoked after an ACK of it answered `:1`;
 * - key order: when push A of key k was acknowledged before push B of k was invoked, B is not
 *   first delivered before A is (nor ahead of it in one POP's reply), unless a POP with an
 *   unknown outcome may have delivered A first;
 * and counts the duplicate deliveries (at least once means some are expected).
 */
import type { HistoryOperation } from "./history.ts";
import {
  type QueueDelivery,
  type QueueHistory,
  type QueuePush,
  type QueueStatsReading,
  readQueueHistory,
} from "./queue_history.ts";
import { type CheckReport, Violations } from "./violations.ts";

/** Options of `checkQueueHistory`. */
export interface QueueCheckOptions {
  /** The workload's queue; its dead-letter queue is `<queue>:dead`. */
  readonly queue: string;
  /**
   * A POP with an unknown outcome is assumed to have taken effect within this many ms of its
   * invocation, or never. Default Infinity: no assumption (sound, weaker).
   */
  readonly unknownEffectWindowMs?: number;
}

/** What the run's duplicates were. */
export interface QueueDuplicates {
  /** Deliveries beyond the first of each message. */
  readonly extraDeliveries: number;
  /** Messages delivered more than once. */
  readonly messagesRedelivered: number;
  /**
   * Deliveries whose delivery-count is not above one seen of the same message in an earlier POP
   * (one completed before it was invoked): deliveries the replicated count missed.
   */
  readonly uncounted: number;
  /** Messages delivered under two or more ids from the queue (one push stored twice). */
  readonly enqueuedTwice: number;
  /** The most delivered messages (at most TOP_DUPLICATES_SHOWN). */
  readonly top: readonly { readonly payload: string; readonly deliveries: number }[];
}

/** The checker's result. */
export interface QueueCheckResult {
  /** Per rule: pass, fail, or unknown (nothing proved either way). */
  readonly checks: Readonly<Record<string, "pass" | "fail" | "unknown">>;
  /** Per rule, its violations. */
  readonly reports: Readonly<Record<string, CheckReport>>;
  readonly duplicates: QueueDuplicates;
  /** The report, one section per rule, then the duplicates. */
  readonly text: string;
}

/** Most duplicated messages listed in the report. */
export const TOP_DUPLICATES_SHOWN = 5;

/** The `:dead` queue of `queue` (the contract's name). */
export function deadQueueOf(queue: string): string {
  return `${queue}:dead`;
}

function describe(op: HistoryOperation): string {
  return `op #${op.opIndex} (process ${op.process}, ${op.invokeMs.toFixed(0)} ms)`;
}

/** The earliest delivery of each payload from `queue` (by the POP's completion). */
function firstDeliveries(
  deliveries: readonly QueueDelivery[],
  queue: string,
): Map<string, QueueDelivery> {
  const first = new Map<string, QueueDelivery>();
  for (const d of deliveries) {
    if (d.queue !== queue) continue;
    const seen = first.get(d.payload);
    if (seen === undefined || (d.pop.completeIndex ?? 0) < (seen.pop.completeIndex ?? 0)) {
      first.set(d.payload, d);
    }
  }
  return first;
}

function checkDeliveries(history: QueueHistory, queues: ReadonlySet<string>): CheckReport {
  const violations = new Violations();
  const pushes = new Map(history.pushes.map((push) => [push.payload, push]));
  for (const d of history.deliveries) {
    if (!queues.has(d.queue)) continue;
    const push = pushes.get(d.payload);
    if (push === undefined) {
      violations.add(
        "phantom",
        `${describe(d.pop)} delivered ${d.payload} (id ${d.id}) that no push sent`,
      );
    } else if (push.op.outcome === "fail") {
      violations.add(
        "failed-push-delivered",
        `${describe(d.pop)} delivered ${d.payload}, whose push ${describe(push.op)} ` +
          `definitely failed: ${JSON.stringify(push.op.result)}`,
      );
    }
  }
  return violations.report();
}

/** Live (ready + inflight + delayed) and dropped messages in the final stats, or null. */
function finalAccount(
  stats: ReadonlyMap<string, QueueStatsReading>,
  queues: readonly string[],
): { live: number; dropped: number } | null {
  let live = 0;
  let dropped = 0;
  for (const queue of queues) {
    const reading = stats.get(queue);
    if (reading === undefined) return null;
    for (const name of ["ready", "inflight", "delayed"]) {
      const value = reading[name];
      if (value === undefined) return null;
      live += value;
    }
    dropped += reading["dropped"] ?? 0;
  }
  return { live, dropped };
}

function checkNoLoss(
  history: QueueHistory,
  queue: string,
): { report: CheckReport; status: "pass" | "fail" | "unknown"; line: string } {
  const violations = new Violations();
  const delivered = new Set(history.deliveries.map((d) => d.payload));
  const acked = history.pushes.filter((p) => p.queue === queue && p.op.outcome === "ok");
  const missing = acked.filter((p) => !delivered.has(p.payload));
  const head = `${acked.length} acknowledged pushes, ${acked.length - missing.length} delivered`;
  if (missing.length === 0) {
    return { report: violations.report(), status: "pass", line: `${head}, none missing` };
  }
  const account = finalAccount(history.finalStats, [queue, deadQueueOf(queue)]);
  if (account === null) {
    return {
      report: violations.report(),
      status: "unknown",
      line: `${head}; ${missing.length} never delivered and no final QUEUE.STATS of ` +
        `${queue} and ${deadQueueOf(queue)} to account for them`,
    };
  }
  const missingTimed = missing.filter((p) => p.timed).length;
  const missingPlain = missing.length - missingTimed;
  const lost = Math.max(
    0,
    missingPlain - account.live,
    missing.length - account.live - account.dropped,
  );
  const accountText = `final stats: ${account.live} live, ${account.dropped} dropped by TTL`;
  if (lost > 0 && account.live + account.dropped === 0) {
    for (const push of missing) {
      violations.add(
        "lost",
        `${describe(push.op)} pushed ${push.payload} (id ${push.id}), acknowledged, ` +
          "never delivered, and the final stats count no message",
      );
    }
  } else if (lost > 0) {
    violations.add(
      "lost",
      `at least ${lost} acknowledged pushes lost: ${missing.length} never delivered ` +
        `(${missingTimed} with TTL or DELAY), ${accountText}; e.g. ` +
        missing.slice(0, 3).map((p) => `${p.payload} (${describe(p.op)})`).join(", "),
    );
  }
  const report = violations.report();
  return {
    report,
    status: report.valid ? "pass" : "fail",
    line: `${head}; ${missing.length} never delivered, ${accountText}`,
  };
}

function checkAckedNotDelivered(history: QueueHistory): CheckReport {
  const violations = new Violations();
  const ackedAt = new Map<string, HistoryOperation>();
  for (const ack of history.acks) {
    const key = `${ack.queue}\u0000${ack.id}`;
    const seen = ackedAt.get(key);
    if (seen === undefined || (ack.op.completeIndex ?? 0) < (seen.completeIndex ?? 0)) {
      ackedAt.set(key, ack.op);
    }
  }
  for (const d of history.deliveries) {
    const ack = ackedAt.get(`${d.queue}\u0000${d.id}`);
    if (ack === undefined || d.pop.invokeIndex < (ack.completeIndex ?? Infinity)) continue;
    violations.add(
      "delivered-after-ack",
      `${describe(d.pop)} delivered ${d.queue} ${d.id} (${d.payload}, delivery ` +
        `${d.deliveryCount}) after ${describe(ack)} acked it`,
    );
  }
  return violations.report();
}

/**
 * Key order: A acknowledged before B was invoked, both of key k; B's first delivery may not
 * complete before A's first delivery is invoked (or with A never delivered), nor stand ahead of
 * A in the reply of the POP that first delivered both, unless an unknown
 * POP may have delivered A first (invoked before B's delivering POP completed, and within the
 * effect window after A's push was invoked). Timed pushes (TTL, DELAY) are never A.
 */
function checkKeyOrder(history: QueueHistory, queue: string, windowMs: number): CheckReport {
  const violations = new Violations();
  const first = firstDeliveries(history.deliveries, queue);
  const byKey = new Map<string, QueuePush[]>();
  for (const push of history.pushes) {
    if (push.queue !== queue || push.key === null || push.op.outcome === "fail") continue;
    const list = byKey.get(push.key);
    if (list === undefined) byKey.set(push.key, [push]);
    else list.push(push);
  }
  for (const [key, pushes] of byKey) {
    for (const b of pushes) {
      const firstB = first.get(b.payload);
      if (firstB === undefined) continue;
      const bDeliveredAt = firstB.pop.completeIndex ?? Infinity;
      for (const a of pushes) {
        // Pushes are in invocation order, and A must be invoked (and acknowledged) before B.
        if (a.op.invokeIndex >= b.op.invokeIndex) break;
        if (a.op.outcome !== "ok" || a.timed) continue;
        if ((a.op.completeIndex ?? Infinity) > b.op.invokeIndex) continue;
        const firstA = first.get(a.payload);
        if (firstA !== undefined && firstA.pop === firstB.pop) {
          if (firstA.position < firstB.position) continue; // one reply, in order
        } else if (firstA !== undefined && firstA.pop.invokeIndex < bDeliveredAt) continue;
        const excused = history.unknownPops.some((u) =>
          u.args[0] === queue && u.invokeIndex < bDeliveredAt &&
          u.invokeMs + windowMs >= a.op.invokeMs
        );
        if (excused) continue;
        violations.add(
          "key-order",
          `key ${key}: ${b.payload} (pushed ${describe(b.op)}) first delivered by ` +
            `${describe(firstB.pop)}, before ${a.payload} (pushed ${describe(a.op)}, ` +
            `acknowledged before) was ` +
            (firstA === undefined
              ? "ever delivered"
              : firstA.pop === firstB.pop
              ? "(it stands ahead of it in that reply)"
              : `first delivered by ${describe(firstA.pop)}`),
        );
      }
    }
  }
  return violations.report();
}

function countDuplicates(history: QueueHistory, queue: string): QueueDuplicates {
  const byMessage = new Map<string, QueueDelivery[]>();
  for (const d of history.deliveries) {
    const key = `${d.queue}\u0000${d.payload}`;
    const list = byMessage.get(key);
    if (list === undefined) byMessage.set(key, [d]);
    else list.push(d);
  }
  const perPayload = new Map<string, number>();
  let uncounted = 0;
  let enqueuedTwice = 0;
  for (const list of byMessage.values()) {
    const payload = list[0]!.payload;
    perPayload.set(payload, (perPayload.get(payload) ?? 0) + list.length);
    if (list[0]!.queue === queue && new Set(list.map((d) => d.id)).size > 1) enqueuedTwice++;
    for (const d of list) {
      const earlier = list.filter((e) => (e.pop.completeIndex ?? Infinity) < d.pop.invokeIndex);
      if (earlier.some((e) => e.deliveryCount >= d.deliveryCount)) uncounted++;
    }
  }
  const counts = [...perPayload].map(([payload, deliveries]) => ({ payload, deliveries }));
  const repeated = counts.filter((c) => c.deliveries > 1);
  return {
    extraDeliveries: repeated.reduce((sum, c) => sum + c.deliveries - 1, 0),
    messagesRedelivered: repeated.length,
    uncounted,
    enqueuedTwice,
    top: repeated.sort((a, b) => b.deliveries - a.deliveries || (a.payload < b.payload ? -1 : 1))
      .slice(0, TOP_DUPLICATES_SHOWN),
  };
}

function section(title: string, report: CheckReport): string[] {
  return [
    `${title}: ${report.violationCount} violations`,
    ...report.violations.map((v) => `  ${v.kind}: ${v.message}`),
  ];
}

/** Checks the QUEUE.* operations of a history (other operations are skipped). */
export function checkQueueHistory(
  ops: readonly HistoryOperation[],
  options: QueueCheckOptions,
): QueueCheckResult {
  const windowMs = options.unknownEffectWindowMs ?? Number.POSITIVE_INFINITY;
  if (!(windowMs >= 0)) {
    throw new RangeError(`Cannot check: unknownEffectWindowMs ${windowMs} is not a duration`);
  }
  const history = readQueueHistory(ops);
  const queue = options.queue;
  const deliveries = checkDeliveries(history, new Set([queue, deadQueueOf(queue)]));
  const loss = checkNoLoss(history, queue);
  const acked = checkAckedNotDelivered(history);
  const order = checkKeyOrder(history, queue, windowMs);
  const duplicates = countDuplicates(history, queue);
  const status = (r: CheckReport) => (r.valid ? "pass" as const : "fail" as const);
  const checks = {
    "queue-deliveries": status(deliveries),
    "queue-no-loss": loss.status,
    "queue-ack": status(acked),
    "queue-key-order": status(order),
  };
  const text = [
    `queue ${queue}: ` +
    [...history.opCounts].sort().map(([label, count]) => `${label} ${count}`).join(", "),
    ...section("deliveries were pushed (no phantom, no failed push)", deliveries),
    ...section(`no acknowledged push lost (${loss.line})`, loss.report),
    ...section("no delivery after an acknowledged ACK", acked),
    ...section(`per-key order of first deliveries (effect window ${windowMs} ms)`, order),
    `duplicates: ${duplicates.extraDeliveries} extra deliveries of ` +
    `${duplicates.messagesRedelivered} messages, ${duplicates.uncounted} not counted by the ` +
    `delivery count, ${duplicates.enqueuedTwice} messages stored under two ids`,
    ...duplicates.top.map((t) => `  ${t.payload}: delivered ${t.deliveries} times`),
  ].join("\n");
  return {
    checks,
    reports: { deliveries, "no-loss": loss.report, ack: acked, "key-order": order },
    duplicates,
    text,
  };
}
