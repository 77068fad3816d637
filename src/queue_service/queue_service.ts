import type { RaftHost } from "../consensus/raft_host.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import type { Logger } from "../log/logger.ts";
import {
  answerOfOutcome,
  encodeQueueOp,
  opOf,
  type QueueAnswer,
  type QueueOp,
  queueOpBytes,
  type QueueRequest,
  statsAnswer,
  UNKNOWN_ID_ANSWER,
} from "../queues/mod.ts";
import type { HostedSlot, HostedSlots } from "../subsystem/hosted_slots.ts";
import { SLOT_PART_TAGS } from "../subsystem/subsystem.ts";
import type { QueueApplied, QueueMachine } from "./queue_machine.ts";

/** A slot hosted here: its group's host and its queue machine. */
export type HostedQueueSlot = HostedSlot<QueueMachine>;

/** What the service needs from the node (the hosted slots: the timer walks them). */
export interface QueueServiceOptions extends HostedSlots<QueueMachine> {
  /** Largest Raft entry of a slot group. */
  entryBytesMax: number;
  /** Period of the leader's timer check (and of the deposed-leader watch of a read). */
  timerCheckMs: number;
  nowMs(): number;
  logger: Logger;
}

/** Counters of what this node led (INFO, metrics). */
export interface QueueServiceStats {
  pushes: number;
  delivers: number;
  delivered: number;
  acks: number;
  reads: number;
  ticksProposed: number;
  refusedLimit: number;
}

/**
 * Runs one partition's share of a queue command on the slot leader: every op carries the timer's
 * log time and is answered once committed and applied (a PUSH only after a majority has it);
 * a POP proposes a due tick just ahead of its deliver (one round, not two), else delivers only
 * when something is deliverable; LEN and STATS read after a ReadIndex barrier. A timer proposes due ticks on every slot this node leads.
 */
export class QueueService {
  readonly #options: QueueServiceOptions;
  #interval: ReturnType<typeof setInterval> | undefined;
  /** Ops led here, by kind. */
  readonly stats: QueueServiceStats = {
    pushes: 0,
    delivers: 0,
    delivered: 0,
    acks: 0,
    reads: 0,
    ticksProposed: 0,
    refusedLimit: 0,
  };

  constructor(options: QueueServiceOptions) {
    this.#options = options;
  }

  /** Starts the timer. */
  start(): void {
    this.#interval = setInterval(() => this.#checkTimers(), this.#options.timerCheckMs);
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.#interval);
  }

  /**
   * Runs `request` on partition `partition`, which lives in `slot`, led by this node; `countMax`
   * is what a POP still wants. LEN and STATS answer the partition's stats as pairs.
   */
  async run(
    slot: number,
    request: QueueRequest,
    partition: number,
    countMax: number,
  ): Promise<QueueAnswer> {
    const hosted = this.#options.slotOf(slot);
    if (hosted === undefined || !hosted.host.leading) {
      throw new ClusterError("TRYAGAIN", `slot ${slot} is not led by this node; retry`);
    }
    const { host, machine } = hosted;
    this.#track(machine, host);
    switch (request.command) {
      case "len":
      case "stats":
        this.stats.reads++;
        await this.#readBarrier(host);
        return statsAnswer([machine.slot.stats(request.queue, partition)]);
      case "pop":
        return await this.#deliver(hosted, request, partition, countMax);
      default: {
        const op = opOf(request, partition, machine.timer.nowMs(this.#options.nowMs()));
        if (op === null) return UNKNOWN_ID_ANSWER;
        if (request.command === "push") this.stats.pushes++;
        if (request.command === "ack") this.stats.acks++;
        return await this.#proposeAnswer(host, op);
      }
    }
  }

  async #deliver(
    { host, machine }: HostedQueueSlot,
    request: QueueRequest & { command: "pop" },
    partition: number,
    countMax: number,
  ): Promise<QueueAnswer> {
    // A due tick first: delays that ended and visibilities that lapsed become ready. It is
    // proposed just ahead of the deliver, not awaited: the log applies it first, so the deliver
    // sees what it made ready, and both share one append and one fsync instead of two rounds.
    const tick = machine.timer.dueBefore(machine.slot, this.#options.nowMs());
    if (tick !== null) {
      this.stats.ticksProposed++;
      // Its failure (a lost leadership) fails the deliver behind it too; nothing to answer here.
      this.#propose(host, tick).catch(() => {});
    } else if (machine.slot.deliverableCount(request.queue, partition) === 0) {
      return { kind: "messages", messages: [] };
    }
    this.stats.delivers++;
    const nowMs = machine.timer.nowMs(this.#options.nowMs());
    const answer = await this.#proposeAnswer(host, opOf(request, partition, nowMs, countMax)!);
    if (answer.kind === "messages") this.stats.delivered += answer.messages.length;
    return answer;
  }

  async #proposeAnswer(host: RaftHost<unknown>, op: QueueOp): Promise<QueueAnswer> {
    const bytes = queueOpBytes(op) + 1;
    if (bytes > this.#options.entryBytesMax) {
      this.stats.refusedLimit++;
      const line = `LIMIT operation of ${bytes} bytes would exceed maximum of ` +
        `${this.#options.entryBytesMax}`;
      return { kind: "error", line };
    }
    const applied = await this.#propose(host, op);
    if (applied.outcome.kind === "limit") this.stats.refusedLimit++;
    return answerOfOutcome(applied.outcome);
  }

  async #propose(host: RaftHost<unknown>, op: QueueOp): Promise<QueueApplied> {
    const data = new Uint8Array(queueOpBytes(op) + 1);
    data[0] = SLOT_PART_TAGS.queues;
    data.set(encodeQueueOp(op), 1);
    const result = await host.propose(data) as QueueApplied | null;
    if (result === null) throw new ClusterError("ERR", "entry applied without a result");
    return result;
  }

  /**
   * A ReadIndex barrier on `host` that fails with TRYAGAIN as soon as this node stops leading
   * (a confirmation a deposed leader waits for would only come at the request timeout).
   */
  #readBarrier(host: RaftHost<unknown>): Promise<void> {
    const barrier = host.readBarrier();
    let watch: ReturnType<typeof setInterval> | undefined;
    const deposed = new Promise<never>((_, reject) => {
      watch = setInterval(() => {
        if (host.leading) return;
        barrier.catch(() => {});
        reject(new ClusterError("TRYAGAIN", "leadership moved during the read; retry"));
      }, this.#options.timerCheckMs);
    });
    return Promise.race([barrier, deposed]).finally(() => clearInterval(watch));
  }

  /** Starts or stops following a slot's time as this node gains or loses its leadership. */
  #track(machine: QueueMachine, host: RaftHost<unknown>): void {
    if (host.leading && !machine.tracking) {
      machine.tracking = true;
      machine.timer.reset(machine.slot, this.#options.nowMs());
      machine.announceDeliverable();
    } else if (!host.leading && machine.tracking) {
      machine.tracking = false;
    }
  }

  #checkTimers(): void {
    const now = this.#options.nowMs();
    for (const [slot, { host, machine }] of this.#options.hosted()) {
      this.#track(machine, host);
      if (!machine.tracking) continue;
      const tick = machine.timer.due(machine.slot, now);
      if (tick === null) continue;
      this.stats.ticksProposed++;
      this.#propose(host, tick).then(
        (applied) => machine.timer.settled(applied.outcome),
        (error) => {
          machine.timer.settled(null);
          this.#options.logger.debug("queue tick deferred", { slot, error: String(error) });
        },
      );
    }
  }
}
