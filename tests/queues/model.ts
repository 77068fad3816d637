import {
  QUEUE_DELIVER_DROPS_MAX,
  QUEUE_HIGH_PER_NORMAL,
  QUEUE_MESSAGE_OVERHEAD_BYTES,
  type QueueLimits,
  type QueueOp,
  type QueueOutcome,
  type QueueStats,
} from "../../src/queues/mod.ts";

/** A name as the model keys it: hex, so the model shares no code with the slot's byte strings. */
export function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** One live message of the model. */
export interface ModelMessage {
  seq: number;
  payload: Uint8Array;
  key: string | null;
  priority: "high" | "normal";
  expiresAt: number | null;
  deliveries: number;
  state: "ready" | "delayed" | "inflight";
  dueAt: number;
  /** When it last joined its lane (ready and first of its key); null while not in a lane. */
  laneStamp: number | null;
}

/** One queue partition of the model. */
export interface ModelPartition {
  name: string;
  number: number;
  /** Live messages in arrival order. */
  messages: ModelMessage[];
  stats: QueueStats;
  streak: number;
  maxDeliver: number;
  visibility: number;
  dedup: { id: string; seq: number; deadline: number }[];
}

const DEAD_HEX = hexOf(new TextEncoder().encode(":dead"));

/**
 * The queue slot's semantics written as plainly as possible: arrays in arrival order, lanes as
 * "sort the ready messages by when they joined", everything recounted by scanning.
 */
export class QueueModel {
  time = 0;
  sequence = 0;
  stamp = 0;
  readonly partitions = new Map<string, ModelPartition>();

  constructor(readonly limits: Readonly<QueueLimits>) {}

  part(name: string, number: number): ModelPartition | undefined {
    return this.partitions.get(`${number}|${name}`);
  }

  apply(op: QueueOp): QueueOutcome {
    this.time = Math.max(this.time, op.nowMs);
    const now = this.time;
    if (op.op === "tick") return this.#tick(op.eventsMax, now);
    const name = hexOf(op.queue);
    const part = this.part(name, op.partition);
    switch (op.op) {
      case "push":
        return this.#push(op, name, part, now);
      case "deliver":
        return this.#deliver(part, op.countMax, op.visibilityMs, now);
      case "config": {
        if (part === undefined && this.partitions.size + 1 > this.limits.queuesMax) {
          return limit("queues", this.partitions.size + 1, this.limits.queuesMax);
        }
        const target = part ?? this.#create(name, op.partition);
        if (op.maxDeliver !== null) target.maxDeliver = op.maxDeliver;
        if (op.visibilityMs !== null) target.visibility = op.visibilityMs;
        return { kind: "configured" };
      }
      default: {
        const m = part?.messages.find((x) => x.seq === op.sequence);
        if (part === undefined || m === undefined) return { kind: "done", found: false };
        if (m.expiresAt !== null && m.expiresAt <= now) {
          this.#leave(part, m, "dropped");
          return { kind: "done", found: false };
        }
        if (op.op === "ack") {
          this.#leave(part, m, "acked");
          return { kind: "done", found: true };
        }
        if (m.state !== "inflight") return { kind: "done", found: false };
        if (op.op === "nack") this.#giveBack(part, m, now, op.delayMs);
        else this.#set(part, m, "inflight", now + op.visibilityMs);
        return { kind: "done", found: true };
      }
    }
  }

  #create(name: string, number: number): ModelPartition {
    const part: ModelPartition = {
      name,
      number,
      messages: [],
      stats: {
        ready: 0,
        inflight: 0,
        delayed: 0,
        dead: 0,
        pushed: 0,
        acked: 0,
        redelivered: 0,
        dropped: 0,
      },
      streak: 0,
      maxDeliver: 16,
      visibility: 30_000,
      dedup: [],
    };
    this.partitions.set(`${number}|${name}`, part);
    return part;
  }

  #push(
    op: Extract<QueueOp, { op: "push" }>,
    name: string,
    part: ModelPartition | undefined,
    now: number,
  ): QueueOutcome {
    const dedupId = op.dedupId === null ? null : hexOf(op.dedupId);
    if (part !== undefined && dedupId !== null) {
      const seen = part.dedup.find((d) => d.id === dedupId && d.deadline > now);
      if (seen !== undefined) {
        return { kind: "pushed", id: `${op.partition}-${seen.seq}`, duplicate: true };
      }
    }
    const l = this.limits;
    const bytes = op.payload.length + (op.key?.length ?? 0) + QUEUE_MESSAGE_OVERHEAD_BYTES;
    if (op.payload.length > l.payloadBytesMax) {
      return limit("payloadBytes", op.payload.length, l.payloadBytesMax);
    }
    if (part === undefined && this.partitions.size + 1 > l.queuesMax) {
      return limit("queues", this.partitions.size + 1, l.queuesMax);
    }
    const count = (part?.messages.length ?? 0) + 1;
    if (count > l.partitionMessagesMax) {
      return limit("partitionMessages", count, l.partitionMessagesMax);
    }
    const partBytes = (part === undefined ? 0 : bytesOf(part)) + bytes;
    if (partBytes > l.partitionBytesMax) {
      return limit("partitionBytes", partBytes, l.partitionBytesMax);
    }
    const slotBytes = this.bytes() + bytes;
    if (slotBytes > l.slotBytesMax) return limit("slotBytes", slotBytes, l.slotBytesMax);
    const dedupCount = (part?.dedup.filter((d) => d.deadline > now).length ?? 0) + 1;
    if (dedupId !== null && dedupCount > l.dedupEntriesMax) {
      return limit("dedupEntries", dedupCount, l.dedupEntriesMax);
    }
    const target = part ?? this.#create(name, op.partition);
    this.sequence += 1;
    const m: ModelMessage = {
      seq: this.sequence,
      payload: op.payload,
      key: op.key === null ? null : hexOf(op.key),
      priority: op.priority,
      expiresAt: op.ttlMs === null ? null : now + op.ttlMs,
      deliveries: 0,
      state: op.delayMs > 0 ? "delayed" : "ready",
      dueAt: op.delayMs > 0 ? now + op.delayMs : 0,
      laneStamp: null,
    };
    target.messages.push(m);
    this.#stampIfDeliverable(target, m);
    target.stats.pushed += 1;
    if (dedupId !== null) {
      target.dedup = target.dedup.filter((d) => d.deadline > now);
      target.dedup.push({ id: dedupId, seq: m.seq, deadline: now + l.dedupWindowMs });
    }
    return { kind: "pushed", id: `${op.partition}-${m.seq}`, duplicate: false };
  }

  /** Bytes of every live message. */
  bytes(): number {
    let sum = 0;
    for (const part of this.partitions.values()) sum += bytesOf(part);
    return sum;
  }

  /** Whether `m` is the first live message of its key. */
  isHead(part: ModelPartition, m: ModelMessage): boolean {
    return m.key === null || part.messages.find((x) => x.key === m.key) === m;
  }

  /** The lane of `priority`: deliverable messages by when they joined. */
  lane(part: ModelPartition, priority: "high" | "normal"): ModelMessage[] {
    return part.messages.filter((m) => m.priority === priority && m.laneStamp !== null)
      .sort((a, b) => a.laneStamp! - b.laneStamp!);
  }

  #stampIfDeliverable(part: ModelPartition, m: ModelMessage): void {
    if (m.state === "ready" && this.isHead(part, m)) m.laneStamp = ++this.stamp;
  }

  #set(part: ModelPartition, m: ModelMessage, state: ModelMessage["state"], dueAt: number) {
    m.laneStamp = null;
    m.state = state;
    m.dueAt = state === "ready" ? 0 : dueAt;
    this.#stampIfDeliverable(part, m);
  }

  #leave(part: ModelPartition, m: ModelMessage, why: "acked" | "dropped" | "dead"): void {
    const wasHead = this.isHead(part, m);
    part.messages = part.messages.filter((x) => x !== m);
    part.stats[why] += 1;
    if (m.key === null || !wasHead) return;
    const next = part.messages.find((x) => x.key === m.key);
    if (next !== undefined && next.state === "ready") next.laneStamp = ++this.stamp;
  }

  #giveBack(part: ModelPartition, m: ModelMessage, now: number, delay: number): void {
    if (m.deliveries < part.maxDeliver) {
      this.#set(part, m, delay > 0 ? "delayed" : "ready", now + delay);
      return;
    }
    this.#leave(part, m, "dead");
    const deadName = part.name + DEAD_HEX;
    if (deadName.length / 2 > 256) return;
    const dead = this.part(deadName, part.number) ?? this.#create(deadName, part.number);
    const moved: ModelMessage = {
      ...m,
      expiresAt: null,
      deliveries: 0,
      state: "ready",
      dueAt: 0,
      laneStamp: null,
    };
    dead.messages.push(moved);
    this.#stampIfDeliverable(dead, moved);
    dead.stats.pushed += 1;
  }

  #deliver(
    part: ModelPartition | undefined,
    countMax: number,
    visibility: number | null,
    now: number,
  ): QueueOutcome {
    const messages: { id: string; payload: Uint8Array; deliveries: number }[] = [];
    if (part === undefined) return { kind: "delivered", messages };
    let drops = 0;
    while (messages.length < countMax && drops < QUEUE_DELIVER_DROPS_MAX) {
      const high = this.lane(part, "high")[0];
      const normals = this.lane(part, "normal");
      const normal = normals[0];
      const m = high === undefined
        ? normal
        : normal === undefined || part.streak < QUEUE_HIGH_PER_NORMAL
        ? high
        : normal;
      if (m === undefined) break;
      if (m.expiresAt !== null && m.expiresAt <= now) {
        this.#leave(part, m, "dropped");
        drops += 1;
        continue;
      }
      part.streak = m.priority === "high" && normals.length > 0 ? part.streak + 1 : 0;
      m.deliveries += 1;
      if (m.deliveries > 1) part.stats.redelivered += 1;
      this.#set(part, m, "inflight", now + (visibility ?? part.visibility));
      messages.push({
        id: `${part.number}-${m.seq}`,
        payload: m.payload,
        deliveries: m.deliveries,
      });
    }
    return { kind: "delivered", messages };
  }

  #tick(eventsMax: number, now: number): QueueOutcome {
    type Event = { deadline: number; seq: number; kind: number; part: ModelPartition };
    const due: Event[] = [];
    for (const part of this.partitions.values()) {
      for (const m of part.messages) {
        const deadline = eventDeadline(m);
        if (deadline !== null && deadline <= now) due.push({ deadline, seq: m.seq, kind: 0, part });
      }
      for (const d of part.dedup) {
        if (d.deadline <= now) due.push({ deadline: d.deadline, seq: d.seq, kind: 1, part });
      }
    }
    due.sort((a, b) => a.deadline - b.deadline || a.seq - b.seq || a.kind - b.kind);
    const handled = due.slice(0, eventsMax);
    for (const event of handled) {
      const part = event.part;
      if (event.kind === 1) {
        part.dedup = part.dedup.filter((d) => d.seq !== event.seq);
        continue;
      }
      const m = part.messages.find((x) => x.seq === event.seq)!;
      if (m.expiresAt !== null && m.expiresAt <= now) this.#leave(part, m, "dropped");
      else if (m.state === "delayed") this.#set(part, m, "ready", 0);
      else this.#giveBack(part, m, now, 0);
    }
    return { kind: "ticked", events: handled.length, more: due.length > eventsMax };
  }

  /** Stats with the state counts recounted. */
  stats(part: ModelPartition): QueueStats {
    const count = (state: string) => part.messages.filter((m) => m.state === state).length;
    return {
      ...part.stats,
      ready: count("ready"),
      inflight: count("inflight"),
      delayed: count("delayed"),
    };
  }
}

function eventDeadline(m: ModelMessage): number | null {
  const due = m.state === "ready" ? null : m.dueAt;
  if (due === null) return m.expiresAt;
  return m.expiresAt === null ? due : Math.min(due, m.expiresAt);
}

function bytesOf(part: ModelPartition): number {
  return part.messages.reduce(
    (sum, m) => sum + m.payload.length + (m.key?.length ?? 0) / 2 + QUEUE_MESSAGE_OVERHEAD_BYTES,
    0,
  );
}

function limit(
  name: Extract<QueueOutcome, { kind: "limit" }>["limit"],
  actual: number,
  maximum: number,
): QueueOutcome {
  return { kind: "limit", limit: name, actual, maximum };
}
