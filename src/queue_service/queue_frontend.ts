import { byteString } from "../kv/key.ts";
import { keySlot } from "../placement/key_slot.ts";
import {
  type DeliveredMessage,
  partitionsOf,
  placementKey,
  pushPartition,
  type QueueAnswer,
  type QueueRequest,
  type QueueStats,
  statsAnswer,
  UNKNOWN_ID_ANSWER,
} from "../queues/mod.ts";
import type { ParkedPops } from "./parked_pops.ts";

/** A parsed queue command with the (copied) arguments it was parsed from. */
export interface QueueCall {
  request: QueueRequest;
  args: Uint8Array[];
}

/** One partition's share of a command, run on the partition's slot leader wherever it is. */
export type RunShare = (
  call: QueueCall,
  partition: number,
  countMax: number,
) => Promise<QueueAnswer>;

/** What the frontend needs from the node. */
export interface QueueFrontendOptions {
  /** Partitions of every queue: the cluster's recorded `--queue-partitions`. */
  partitions(): number;
  slotCount(): number;
  /** True while this node leads slot `slot`'s group. */
  leadsSlot(slot: number): boolean;
  runShare: RunShare;
  parked: ParkedPops;
  nowMs(): number;
}

/** Queues whose partition slots are remembered at most (the cache is dropped when full). */
const SLOT_CACHE_ENTRIES_MAX = 4096;

/**
 * The queue commands on the node the client talks to: picks the partitions a command reaches,
 * runs each partition's share on its slot leader (through the router, so any node answers) and
 * gathers the answers; a POP with WAIT parks here until a push wakes it (ParkedPops).
 */
export class QueueFrontend {
  readonly #options: QueueFrontendOptions;
  #spread = 0;
  /** Queue → slot of each partition, for the current slot count. */
  readonly #slots = new Map<string, number[]>();
  #slotsOfCount = 0;

  constructor(options: QueueFrontendOptions) {
    this.#options = options;
  }

  /** Runs a parsed request; `onClose` registers a hook run if the client disconnects. */
  run(call: QueueCall, onClose: (hook: () => void) => () => void): Promise<QueueAnswer> {
    const request = call.request;
    switch (request.command) {
      case "push":
        return this.#options.runShare(call, this.#pushPartition(request), 1);
      case "pop":
        return request.waitMs === 0
          ? this.#popOnce(call, request).then(({ answer }) => answer)
          : this.#popWaiting(call, request, onClose);
      case "ack":
      case "nack":
      case "touch": {
        const [partition] = partitionsOf(request, this.#options.partitions(), 0);
        if (partition === undefined) return Promise.resolve(UNKNOWN_ID_ANSWER);
        return this.#options.runShare(call, partition, 1);
      }
      case "config":
        return this.#all(call).then((answers) =>
          answers.find((answer) => answer.kind === "error") ?? { kind: "ok" }
        );
      case "len":
      case "stats":
        return this.#all(call).then((answers) => {
          const error = answers.find((answer) => answer.kind === "error");
          if (error !== undefined) return error;
          const stats = answers.map(statsOf);
          if (request.command === "stats") return statsAnswer(stats);
          return { kind: "integer", value: stats.reduce((sum, each) => sum + each.ready, 0) };
        });
    }
  }

  #all(call: QueueCall): Promise<QueueAnswer[]> {
    const partitions = partitionsOf(call.request, this.#options.partitions(), 0);
    return Promise.all(partitions.map((p) => this.#options.runShare(call, p, 1)));
  }

  /** KEY or DEDUP decide; otherwise the next partition from a rotating start that this node leads. */
  #pushPartition(request: QueueRequest & { command: "push" }): number {
    const partitions = this.#options.partitions();
    if (request.key !== null || request.dedupId !== null) {
      return pushPartition(request, partitions, 0);
    }
    const start = this.#spread++ % partitions;
    const slots = this.#slotsOf(request.queue);
    for (let i = 0; i < partitions; i++) {
      const partition = (start + i) % partitions;
      if (this.#options.leadsSlot(slots[partition]!)) return partition;
    }
    return start;
  }

  /** Every partition once from a rotating start, those this node leads first. */
  #popOrder(queue: Uint8Array): number[] {
    const partitions = this.#options.partitions();
    const start = this.#spread++ % partitions;
    const slots = this.#slotsOf(queue);
    const local: number[] = [];
    const remote: number[] = [];
    for (let i = 0; i < partitions; i++) {
      const partition = (start + i) % partitions;
      (this.#options.leadsSlot(slots[partition]!) ? local : remote).push(partition);
    }
    return [...local, ...remote];
  }

  /**
   * Delivers up to COUNT messages over the partitions in two rounds: first every partition at once
   * for its share of COUNT (shares add up to COUNT, so none is over-delivered), then one by one,
   * for what is still wanted, each partition that was not asked or gave its whole share.
   */
  async #popOnce(
    call: QueueCall,
    request: QueueRequest & { command: "pop" },
  ): Promise<{ answer: QueueAnswer; got: number }> {
    const order = this.#popOrder(request.queue);
    const messages: DeliveredMessage[] = [];
    let error: QueueAnswer | null = null;
    const take = (answer: QueueAnswer): number => {
      if (answer.kind === "messages") messages.push(...answer.messages);
      else if (answer.kind === "error") error ??= answer;
      return answer.kind === "messages" ? answer.messages.length : 0;
    };
    const shares = order.map((_, i) =>
      Math.floor(request.count / order.length) + (i < request.count % order.length ? 1 : 0)
    );
    const firstRound = await Promise.all(
      order.map((partition, i) =>
        shares[i]! === 0 ? null : this.#options.runShare(call, partition, shares[i]!)
      ),
    );
    const emptied = new Set<number>();
    firstRound.forEach((answer, i) => {
      if (answer !== null && take(answer) < shares[i]!) emptied.add(order[i]!);
    });
    for (const partition of order) {
      if (messages.length >= request.count) break;
      if (emptied.has(partition)) continue;
      take(await this.#options.runShare(call, partition, request.count - messages.length));
    }
    const answer: QueueAnswer = messages.length === 0 && error !== null
      ? error
      : { kind: "messages", messages };
    return { answer, got: messages.length };
  }

  /**
   * A POP with WAIT: parked here first (so no wake is missed while it looks), it looks over the
   * partitions, then sleeps until woken by a push on any node's slot leader, the WAIT ends or the
   * client leaves; at most `parked.max` pops wait on this node (`-LIMIT` past it).
   */
  async #popWaiting(
    call: QueueCall,
    request: QueueRequest & { command: "pop" },
    onClose: (hook: () => void) => () => void,
  ): Promise<QueueAnswer> {
    const parked = this.#options.parked.park(byteString(request.queue));
    if (parked === null) {
      const max = this.#options.parked.max;
      return { kind: "error", line: `LIMIT ${max} pops already wait on this node` };
    }
    let closed = false;
    let onClosed = () => {};
    const closing = new Promise<void>((resolve) => onClosed = resolve);
    const removeHook = onClose(() => {
      closed = true;
      onClosed();
    });
    const deadlineMs = this.#options.nowMs() + request.waitMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      for (;;) {
        const woken = parked.rearm();
        const { answer, got } = await this.#popOnce(call, request);
        // Delivered to a client that left: the messages come back after their visibility.
        if (got > 0 || closed) return answer;
        const remainingMs = deadlineMs - this.#options.nowMs();
        if (remainingMs <= 0) return answer;
        if (parked.woken) continue;
        await Promise.race([
          woken,
          closing,
          new Promise<void>((resolve) => timer = setTimeout(resolve, remainingMs)),
        ]);
        clearTimeout(timer);
        if (closed) return { kind: "messages", messages: [] };
      }
    } finally {
      clearTimeout(timer);
      parked.leave();
      removeHook();
    }
  }

  /** The slot of each partition of `queue`. */
  #slotsOf(queue: Uint8Array): number[] {
    const slotCount = this.#options.slotCount();
    if (slotCount !== this.#slotsOfCount || this.#slots.size >= SLOT_CACHE_ENTRIES_MAX) {
      this.#slots.clear();
      this.#slotsOfCount = slotCount;
    }
    const name = byteString(queue);
    let slots = this.#slots.get(name);
    if (slots === undefined) {
      slots = Array.from(
        { length: this.#options.partitions() },
        (_, p) => keySlot(placementKey(queue, p), slotCount),
      );
      this.#slots.set(name, slots);
    }
    return slots;
  }
}

/** The stats of one partition from its share's pairs answer. */
function statsOf(answer: QueueAnswer): QueueStats {
  const stats: QueueStats = {
    ready: 0,
    inflight: 0,
    delayed: 0,
    dead: 0,
    pushed: 0,
    acked: 0,
    redelivered: 0,
    dropped: 0,
  };
  if (answer.kind !== "pairs") return stats;
  for (const [name, value] of answer.pairs) {
    if (name in stats) stats[name as keyof QueueStats] = value;
  }
  return stats;
}
