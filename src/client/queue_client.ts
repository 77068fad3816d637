import type { NodePool } from "./node_pool.ts";
import { messagesReply, type QueueMessage } from "./queue_message.ts";
import { countsReply, flagReply, integerReply, textReply } from "./replies.ts";
import { type ConsumeOptions, type MessageHandler, QueueConsumer } from "./queue_consumer.ts";

/** Options of QUEUE.PUSH. */
export interface PushOptions {
  /** Messages with the same key keep their order. */
  key?: string;
  /** Not deliverable for this long, in ms. */
  delayMs?: number;
  /** Dropped if not acked within this, in ms. */
  ttlMs?: number;
  /** `high` is served before `normal`, without starving it. */
  priority?: "high" | "normal";
  /**
   * A second push with the same id within the dedup window enqueues nothing. With it, a push whose
   * reply was lost is sent again (it cannot enqueue twice); without it, such a push fails TIMEOUT.
   */
  dedupId?: string;
}

/** Options of QUEUE.POP. */
export interface PopOptions {
  /** The messages stay invisible this long unless acked or touched, in ms (default 30,000). */
  visibilityMs?: number;
  /** Wait up to this long for a message, in ms (default 0). */
  waitMs?: number;
  /** At most this many messages (default 1). */
  count?: number;
}

/**
 * The queue commands. Which are sent again after a lost reply: ACK and TOUCH (repeating them
 * changes nothing), LEN and STATS (reads), PUSH only with a dedup id. POP and NACK never are.
 */
export class QueueClient {
  readonly #pool: NodePool;

  /** Queue commands through `pool`. */
  constructor(pool: NodePool) {
    this.#pool = pool;
  }

  /** `QUEUE.PUSH`: the message id, once the message is durable on a majority. */
  async push(queue: string, payload: string | Uint8Array, options: PushOptions = {}) {
    const args: Array<string | Uint8Array> = ["QUEUE.PUSH", queue, payload];
    if (options.key !== undefined) args.push("KEY", options.key);
    if (options.delayMs !== undefined) args.push("DELAY", String(options.delayMs));
    if (options.ttlMs !== undefined) args.push("TTL", String(options.ttlMs));
    if (options.priority !== undefined) args.push("PRIORITY", options.priority);
    if (options.dedupId !== undefined) args.push("DEDUP", options.dedupId);
    const idempotent = options.dedupId !== undefined;
    return textReply("QUEUE.PUSH", await this.#pool.call(args, { idempotent }));
  }

  /** `QUEUE.POP`: up to `count` messages, an empty array when none came within `waitMs`. */
  async pop(queue: string, options: PopOptions = {}): Promise<QueueMessage[]> {
    const args = ["QUEUE.POP", queue];
    if (options.visibilityMs !== undefined) args.push("VISIBILITY", String(options.visibilityMs));
    const waitMs = options.waitMs ?? 0;
    if (waitMs > 0) args.push("WAIT", String(waitMs));
    if (options.count !== undefined) args.push("COUNT", String(options.count));
    return messagesReply(await this.#pool.call(args, { idempotent: false, waitMs }));
  }

  /** `QUEUE.ACK`: true when acked, false when unknown or already acked. */
  async ack(queue: string, id: string): Promise<boolean> {
    const reply = await this.#pool.call(["QUEUE.ACK", queue, id], { idempotent: true });
    return flagReply("QUEUE.ACK", reply);
  }

  /** `QUEUE.NACK`: true when requeued (after `delayMs`), false when unknown. */
  async nack(queue: string, id: string, options: { delayMs?: number } = {}): Promise<boolean> {
    const args = ["QUEUE.NACK", queue, id];
    if (options.delayMs !== undefined) args.push("DELAY", String(options.delayMs));
    return flagReply("QUEUE.NACK", await this.#pool.call(args, { idempotent: false }));
  }

  /** `QUEUE.TOUCH`: true when the in-flight message stays invisible `ms` more. */
  async touch(queue: string, id: string, ms: number): Promise<boolean> {
    const reply = await this.#pool.call(["QUEUE.TOUCH", queue, id, String(ms)], {
      idempotent: true,
    });
    return flagReply("QUEUE.TOUCH", reply);
  }

  /** `QUEUE.LEN`: ready messages. */
  async len(queue: string): Promise<number> {
    return integerReply(
      "QUEUE.LEN",
      await this.#pool.call(["QUEUE.LEN", queue], { idempotent: true }),
    );
  }

  /** `QUEUE.STATS`: ready, inflight, delayed, dead, pushed, acked, redelivered. */
  async stats(queue: string): Promise<Map<string, number>> {
    const reply = await this.#pool.call(["QUEUE.STATS", queue], { idempotent: true });
    return countsReply("QUEUE.STATS", reply);
  }

  /** `QUEUE.CONFIG`: dead-letter after `maxDeliver` deliveries, default visibility. */
  async config(queue: string, options: { maxDeliver?: number; visibilityMs?: number }) {
    const args = ["QUEUE.CONFIG", queue];
    if (options.maxDeliver !== undefined) args.push("MAXDELIVER", String(options.maxDeliver));
    if (options.visibilityMs !== undefined) args.push("VISIBILITY", String(options.visibilityMs));
    await this.#pool.call(args, { idempotent: true });
  }

  /**
   * Runs `handler` on every message of `queue`, `concurrency` at a time: touches a message while
   * its handler runs, acks it when the handler returns, nacks it when it throws. stop() ends it.
   */
  consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): QueueConsumer {
    return new QueueConsumer(this, queue, handler, options);
  }
}
