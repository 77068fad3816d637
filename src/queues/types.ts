/** Delivery lane of a message: `high` is served first, `normal` is never starved. */
export type QueuePriority = "high" | "normal";

/** Fields every op names: the queue partition it acts on and the leader's log time. */
export interface QueueTarget {
  /** Queue name, 1..QUEUE_NAME_BYTES_MAX bytes. */
  queue: Uint8Array;
  /** Partition number, 0..QUEUE_PARTITIONS_MAX-1. */
  partition: number;
  /**
   * The leader's log clock when it proposed the op (QueueTimer.nowMs). The slot applies
   * max(this, the latest time it applied), so log time never goes back.
   */
  nowMs: number;
}

/** Enqueues one message; its id is assigned when applied (`<partition>-<sequence>`). */
export interface QueuePushOp extends QueueTarget {
  op: "push";
  payload: Uint8Array;
  /** Per-key order (0..QUEUE_KEY_BYTES_MAX bytes), or null. */
  key: Uint8Array | null;
  /** 0: ready at once; else delayed this many ms. */
  delayMs: number;
  /** Dropped (counted) if not acked this many ms after the push; null: never. */
  ttlMs: number | null;
  priority: QueuePriority;
  /** A repeat within the dedup window returns the first id and adds nothing; null: none. */
  dedupId: Uint8Array | null;
}

/** Delivers up to `countMax` ready messages, chosen when applied, invisible for a while. */
export interface QueueDeliverOp extends QueueTarget {
  op: "deliver";
  /** 1..QUEUE_POP_COUNT_MAX. */
  countMax: number;
  /** Visibility in ms; null: the queue's configured one. */
  visibilityMs: number | null;
}

/** Acks an in-flight (or still listed) message by its sequence number. */
export interface QueueAckOp extends QueueTarget {
  op: "ack";
  sequence: number;
}

/** Puts an in-flight message back: ready, or delayed by `delayMs`. */
export interface QueueNackOp extends QueueTarget {
  op: "nack";
  sequence: number;
  /** 0: ready at once. */
  delayMs: number;
}

/** Keeps an in-flight message invisible until `nowMs + visibilityMs`. */
export interface QueueTouchOp extends QueueTarget {
  op: "touch";
  sequence: number;
  visibilityMs: number;
}

/** Sets the queue partition's MAXDELIVER and/or default visibility (null: unchanged). */
export interface QueueConfigOp extends QueueTarget {
  op: "config";
  maxDeliver: number | null;
  visibilityMs: number | null;
}

/**
 * The leader's timer: handles up to `eventsMax` events due at `nowMs` over the whole slot, in
 * (deadline, sequence) order: delays ending, visibility lapsing, TTLs running out, dedup ids
 * forgotten.
 */
export interface QueueTickOp {
  op: "tick";
  nowMs: number;
  /** 1..QUEUE_TICK_EVENTS_MAX. */
  eventsMax: number;
}

/** One operation of a slot's queue state, carried in a committed Raft entry. */
export type QueueOp =
  | QueuePushOp
  | QueueDeliverOp
  | QueueAckOp
  | QueueNackOp
  | QueueTouchOp
  | QueueConfigOp
  | QueueTickOp;

/** Which limit a refused push would have passed. */
export type QueueLimitName =
  | "payloadBytes"
  | "partitionMessages"
  | "partitionBytes"
  | "slotBytes"
  | "queues"
  | "dedupEntries";

/** A refusal for a limit: the op changed nothing. */
export interface QueueLimitRefusal {
  kind: "limit";
  limit: QueueLimitName;
  /** What the op would have reached. */
  actual: number;
  maximum: number;
}

/** A malformed op (a proposer's bug); it changed nothing but the log time. */
export interface QueueInvalid {
  kind: "invalid";
  message: string;
}

/** One delivered message as POP answers it. */
export interface DeliveredMessage {
  /** `<partition>-<sequence>`. */
  readonly id: string;
  readonly payload: Uint8Array;
  /** Deliveries so far including this one (1 on the first). */
  readonly deliveries: number;
}

/** The result of applying one op; every refusal changes nothing. */
export type QueueOutcome =
  /** push: the id; `duplicate` when the dedup id was seen within the window (nothing added). */
  | { kind: "pushed"; id: string; duplicate: boolean }
  | { kind: "delivered"; messages: DeliveredMessage[] }
  /** ack, nack, touch: whether the message was there (in flight, for nack and touch). */
  | { kind: "done"; found: boolean }
  | { kind: "configured" }
  /** tick: events handled; `more` when some due at `nowMs` were left for the next tick. */
  | { kind: "ticked"; events: number; more: boolean }
  | QueueLimitRefusal
  | QueueInvalid;

/** Counters and sizes of one queue partition (QUEUE.STATS sums them over partitions). */
export interface QueueStats {
  /** Ready, including keyed messages waiting behind an earlier message of their key. */
  ready: number;
  inflight: number;
  delayed: number;
  /** Messages moved to the dead queue (or discarded for want of one, see docs/queues.md). */
  dead: number;
  /** Messages that entered: pushes that added a message, and dead letters moved in. */
  pushed: number;
  acked: number;
  /** Deliveries after the first. */
  redelivered: number;
  /** Messages dropped when their TTL ran out. */
  dropped: number;
}

/** The line after `-LIMIT ` for a refusal. */
export function limitMessage(refusal: QueueLimitRefusal): string {
  return `${
    LIMIT_WORDS[refusal.limit]
  } ${refusal.actual} would exceed maximum of ${refusal.maximum}`;
}

const LIMIT_WORDS: Readonly<Record<QueueLimitName, string>> = {
  payloadBytes: "payload length in bytes",
  partitionMessages: "messages in queue partition",
  partitionBytes: "queue partition size in bytes",
  slotBytes: "queue slot size in bytes",
  queues: "queue partitions in slot",
  dedupEntries: "dedup ids in queue partition",
};
