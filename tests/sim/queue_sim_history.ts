import type { QueueOp, QueueOutcome } from "../../src/queues/mod.ts";
import type { NodeId } from "../../src/raft/mod.ts";
import { InvariantError } from "./invariants.ts";

/** One committed queue op and what the state machine answered. */
export interface AppliedQueueOp {
  /** Log index. */
  readonly index: number;
  readonly op: QueueOp;
  readonly outcome: QueueOutcome;
}

/** Committed entries remembered at most (a 3 s seed commits a few thousand). */
export const QUEUE_HISTORY_ENTRIES_MAX = 200_000;

/**
 * What a queue seed's checker needs, recorded as it happens: the first application of every
 * committed queue op (each later application on another node must answer the same, or the
 * replicas diverged), and the indexes whose proposer got its answer (acknowledged to a client).
 * A snapshot restore must round-trip byte for byte.
 */
export class QueueSimHistory {
  readonly #applied = new Map<number, { entry: AppliedQueueOp; key: string; by: NodeId }>();
  readonly #acknowledged = new Set<number>();
  /** Applications compared with the first one of their index (on another node or a replay). */
  comparisons = 0;
  /** Snapshot restores checked. */
  restores = 0;

  /** Node `id` applied `op` at `index` with `outcome`; throws when it differs from the first. */
  onApply(id: NodeId, index: number, op: QueueOp, outcome: QueueOutcome): void {
    const key = outcomeKey(outcome);
    const first = this.#applied.get(index);
    if (first === undefined) {
      if (this.#applied.size >= QUEUE_HISTORY_ENTRIES_MAX) {
        throw new RangeError(`Queue history exceeds ${QUEUE_HISTORY_ENTRIES_MAX} entries`);
      }
      this.#applied.set(index, { entry: { index, op, outcome }, key, by: id });
      return;
    }
    this.comparisons++;
    if (first.key !== key) {
      throw new InvariantError(
        "queue state machine safety",
        `${id} applied ${op.op} at ${index} as ${key}, ${first.by} as ${first.key}`,
      );
    }
  }

  /** Node `id` restored a slot from `image` (at `index`); `again` is the restored slot's image. */
  onRestore(id: NodeId, index: number, image: Uint8Array, again: Uint8Array): void {
    if (image.length === 0) return;
    this.restores++;
    if (image.length !== again.length || image.some((byte, i) => byte !== again[i])) {
      throw new InvariantError(
        "queue snapshot identity",
        `${id}'s slot restored at ${index} does not encode back to its snapshot`,
      );
    }
  }

  /** The proposer of the entry at `index` got its answer. */
  onAcknowledged(index: number): void {
    this.#acknowledged.add(index);
  }

  /** Whether the entry at `index` was acknowledged. */
  acknowledged(index: number): boolean {
    return this.#acknowledged.has(index);
  }

  /** The first application at `index`, if any node applied it. */
  at(index: number): AppliedQueueOp | undefined {
    return this.#applied.get(index)?.entry;
  }

  /** Every committed queue op in log order. */
  log(): AppliedQueueOp[] {
    return [...this.#applied.values()].map((each) => each.entry).sort((a, b) => a.index - b.index);
  }
}

/** A comparable text of an outcome (payloads as text). */
function outcomeKey(outcome: QueueOutcome): string {
  if (outcome.kind !== "delivered") return JSON.stringify(outcome);
  const messages = outcome.messages.map((m) =>
    `${m.id}:${new TextDecoder().decode(m.payload)}:${m.deliveries}`
  );
  return `delivered ${messages.join(",")}`;
}
