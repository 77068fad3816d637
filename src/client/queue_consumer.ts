import type { QueueClient } from "./queue_client.ts";
import type { QueueMessage } from "./queue_message.ts";

/** The handler of consume(): return to ack, throw to nack. `signal` fires if the message is lost. */
export type MessageHandler = (
  message: QueueMessage,
  context: { signal: AbortSignal },
) => Promise<void> | void;

/** Options of consume(). */
export interface ConsumeOptions {
  /** Messages handled at once (default 1, at most CONCURRENCY_MAX). */
  concurrency?: number;
  /** Invisibility per pop and per touch, in ms (default 30,000); touched every third of it. */
  visibilityMs?: number;
  /** One pop waits this long for a message, in ms (default 2,000): stop() takes up to this. */
  popWaitMs?: number;
  /** Told about every failed pop, ack, nack or touch (the loop carries on). */
  onError?: (error: unknown) => void;
}

/** Most concurrent handlers of one consumer. */
export const CONCURRENCY_MAX = 1024;
/** Pause after a failed pop before the next, in ms. */
const POP_RETRY_MS = 500;

/** Counts of a consumer so far. */
export interface ConsumerCounts {
  acked: number;
  nacked: number;
  /** Messages whose TOUCH answered 0: redelivered elsewhere while the handler ran. */
  lost: number;
}

/**
 * A running consume() loop: `concurrency` workers, each popping one message at a time, touching it
 * while the handler runs, acking on success and nacking on a throw.
 */
export class QueueConsumer {
  readonly #queue: QueueClient;
  readonly #name: string;
  readonly #handler: MessageHandler;
  readonly #visibilityMs: number;
  readonly #popWaitMs: number;
  readonly #onError: (error: unknown) => void;
  #stopping = false;
  readonly #done: Promise<void>;
  /** Counts so far. */
  readonly counts: ConsumerCounts = { acked: 0, nacked: 0, lost: 0 };

  /** Starts the workers at once. */
  constructor(queue: QueueClient, name: string, handler: MessageHandler, options: ConsumeOptions) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > CONCURRENCY_MAX) {
      throw new RangeError(`concurrency must be an integer 1-${CONCURRENCY_MAX}`);
    }
    this.#queue = queue;
    this.#name = name;
    this.#handler = handler;
    this.#visibilityMs = options.visibilityMs ?? 30_000;
    this.#popWaitMs = options.popWaitMs ?? 2_000;
    this.#onError = options.onError ?? (() => {});
    const workers = Array.from({ length: concurrency }, () => this.#work());
    this.#done = Promise.all(workers).then(() => {});
  }

  /** Resolves once every worker has ended (after stop()). */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Stops popping; resolves once the messages being handled are acked or nacked. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#done;
  }

  async #work(): Promise<void> {
    while (!this.#stopping) {
      let messages: QueueMessage[];
      try {
        messages = await this.#queue.pop(this.#name, {
          visibilityMs: this.#visibilityMs,
          waitMs: this.#popWaitMs,
          count: 1,
        });
      } catch (error) {
        this.#onError(error);
        await new Promise((resolve) => setTimeout(resolve, POP_RETRY_MS));
        continue;
      }
      for (const message of messages) await this.#handle(message);
    }
  }

  async #handle(message: QueueMessage): Promise<void> {
    const controller = new AbortController();
    const touchEveryMs = Math.max(1, Math.floor(this.#visibilityMs / 3));
    const toucher = setInterval(() => {
      this.#queue.touch(this.#name, message.id, this.#visibilityMs).then((kept) => {
        if (kept || controller.signal.aborted) return;
        this.counts.lost++;
        controller.abort(new Error(`message ${message.id} is no longer in flight`));
      }, this.#onError);
    }, touchEveryMs);
    let succeeded = false;
    try {
      await this.#handler(message, { signal: controller.signal });
      succeeded = true;
    } catch (error) {
      this.#onError(error);
    } finally {
      clearInterval(toucher);
    }
    try {
      if (succeeded) {
        await this.#queue.ack(this.#name, message.id);
        this.counts.acked++;
      } else {
        await this.#queue.nack(this.#name, message.id);
        this.counts.nacked++;
      }
    } catch (error) {
      this.#onError(error); // not acked: it comes back after its visibility
    }
  }
}
