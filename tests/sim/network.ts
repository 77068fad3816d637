import type { MessageType, NodeId, SeededRandom } from "../../src/raft/mod.ts";

/** Fault settings of the simulated network. */
export interface NetworkFaults {
  /** Probability a message is dropped. */
  lossRate: number;
  /** Probability a message is delivered twice. */
  duplicateRate: number;
  /** Minimum one-way delay in ms. */
  delayMinMs: number;
  /** Maximum one-way delay in ms (random delays reorder messages). */
  delayMaxMs: number;
  /** Probability a message is held back instead, by up to `longDelayMaxMs` (default 0). */
  longDelayRate?: number;
  /** Maximum delay of a held-back message in ms: it may arrive terms later. */
  longDelayMaxMs?: number;
  /** Only messages of these types are held back (default: every type). */
  longDelayTypes?: readonly MessageType[];
}

/** Reliable, low-latency defaults. */
export const RELIABLE_NETWORK: NetworkFaults = {
  lossRate: 0,
  duplicateRate: 0,
  delayMinMs: 1,
  delayMaxMs: 5,
};

/** A network with loss, duplication, random delay, and symmetric or one-way partitions. */
export class SimNetwork {
  /** Current fault settings. */
  faults: NetworkFaults = { ...RELIABLE_NETWORK };
  #blocked = new Set<string>();

  /** True when messages from `from` to `to` are dropped. */
  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.#blocked.size > 0 && this.#blocked.has(`${from}>${to}`);
  }

  /** Splits nodes into groups that cannot talk to each other (both directions). */
  partition(groups: NodeId[][]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.#blocked.add(`${x}>${y}`);
      }
    }
  }

  /** Isolates `id` from everyone in `others` (both directions). */
  isolate(id: NodeId, others: NodeId[]): void {
    this.partition([[id], others.filter((o) => o !== id)]);
  }

  /** Drops messages from `from` to `to` only. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.#blocked.add(`${from}>${to}`);
  }

  /** Removes every partition. */
  heal(): void {
    this.#blocked.clear();
  }

  /** Delivery delays for one message: empty when lost, two when duplicated. */
  deliveryDelaysMs(
    from: NodeId,
    to: NodeId,
    random: SeededRandom,
    type: MessageType | null = null,
  ): number[] {
    if (this.isBlocked(from, to)) return [];
    const f = this.faults;
    if (f.lossRate > 0 && random.chance(f.lossRate)) return [];
    const held = f.longDelayTypes === undefined ||
      (type !== null && f.longDelayTypes.includes(type));
    const longRate = held ? f.longDelayRate ?? 0 : 0;
    const delay = () => {
      if (longRate > 0 && random.chance(longRate)) {
        return f.delayMaxMs + random.next() * Math.max(0, (f.longDelayMaxMs ?? 0) - f.delayMaxMs);
      }
      return f.delayMinMs + random.next() * (f.delayMaxMs - f.delayMinMs);
    };
    if (f.duplicateRate > 0 && random.chance(f.duplicateRate)) return [delay(), delay()];
    return [delay()];
  }
}
