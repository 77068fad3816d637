/**
 * One NATS JetStream client for `bench/load/queue_bench.ts` (npm `nats`): a work-queue stream
 * with 3 replicas (or as asked) on file storage stands for the queue; a push is `js.publish` awaiting its
 * PubAck; a take is `fetch` of up to COUNT messages from one shared durable pull consumer,
 * each acked with `ackAck` (the ack awaited, as dsync's `QUEUE.ACK` is; the batch's acks in
 * parallel) or, with `ackMode: "flushed"`, with a plain `ack` and one `flush` per batch (the acks
 * reached the server, nothing confirms they were applied: how NATS is usually driven).
 */
import {
  AckPolicy,
  connect,
  type Consumer,
  type JetStreamClient,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
} from "nats";
import type { QueueBenchClient } from "./queue_workload.ts";

/** Names of the stream, its subject and the shared consumer. */
export const NATS_QUEUE = {
  stream: "BENCHQ",
  subject: "benchq.jobs",
  consumer: "workers",
} as const;

/** How a take acks its messages. */
export type NatsAckMode = "awaited" | "flushed";

/** Settings of a NATS queue client. */
export interface NatsQueueOptions {
  /** awaited: `ackAck` per message; flushed: `ack` per message, then one `flush`. */
  ackMode: NatsAckMode;
  /** How long a fetch waits on an empty stream, ms. */
  fetchWaitMs: number;
  /** Bound on a connect and on every request, ms. */
  requestTimeoutMs: number;
}

/** Pause between attempts to create the stream while JetStream elects its meta leader. */
const CREATE_RETRY_MS = 250;

/**
 * Creates the stream (`replicas` replicas, 3 by default; work-queue retention) and the shared
 * pull consumer, retrying until the cluster's JetStream has a meta leader; throws after
 * `readyTimeoutMs`.
 */
export async function createNatsQueue(
  port: number,
  requestTimeoutMs: number,
  readyTimeoutMs: number,
  replicas = 3,
): Promise<void> {
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    try {
      await createOnce(port, requestTimeoutMs, replicas);
      return;
    } catch (error) {
      if (performance.now() >= deadline) {
        throw new Error(
          `Cannot create the NATS stream within ${readyTimeoutMs} ms: ` +
            (error instanceof Error ? error.message : String(error)),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, CREATE_RETRY_MS));
    }
  }
}

async function createOnce(
  port: number,
  requestTimeoutMs: number,
  replicas: number,
): Promise<void> {
  const connection = await connect({ servers: `127.0.0.1:${port}`, timeout: requestTimeoutMs });
  try {
    const manager = await connection.jetstreamManager({ timeout: requestTimeoutMs });
    await manager.streams.add({
      name: NATS_QUEUE.stream,
      subjects: [NATS_QUEUE.subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
    });
    await manager.consumers.add(NATS_QUEUE.stream, {
      durable_name: NATS_QUEUE.consumer,
      ack_policy: AckPolicy.Explicit,
    });
  } finally {
    await connection.close();
  }
}

/** A client connected to one server of the cluster. */
export class NatsQueueClient implements QueueBenchClient {
  readonly #connection: NatsConnection;
  readonly #jetstream: JetStreamClient;
  readonly #options: NatsQueueOptions;
  #consumer: Consumer | null = null;

  private constructor(connection: NatsConnection, options: NatsQueueOptions) {
    this.#connection = connection;
    this.#jetstream = connection.jetstream({ timeout: options.requestTimeoutMs });
    this.#options = options;
  }

  /** Connects to 127.0.0.1:`port` only (no reconnects to other servers). */
  static async open(port: number, options: NatsQueueOptions): Promise<NatsQueueClient> {
    const connection = await connect({
      servers: `127.0.0.1:${port}`,
      timeout: options.requestTimeoutMs,
      reconnect: false,
    });
    return new NatsQueueClient(connection, options);
  }

  /** Publishes and awaits the stream's PubAck. */
  async push(payload: Uint8Array): Promise<void> {
    await this.#jetstream.publish(NATS_QUEUE.subject, payload);
  }

  /** Fetches up to `count` messages and acks each, awaiting every ack's confirmation. */
  async popAck(count: number): Promise<number> {
    this.#consumer ??= await this.#jetstream.consumers.get(NATS_QUEUE.stream, NATS_QUEUE.consumer);
    const consumer = this.#consumer;
    const messages = await consumer.fetch({
      max_messages: count,
      expires: this.#options.fetchWaitMs,
    });
    const acks: Promise<boolean>[] = [];
    for await (const message of messages) {
      if (this.#options.ackMode === "flushed") {
        message.ack();
        acks.push(Promise.resolve(true));
      } else acks.push(message.ackAck({ timeout: this.#options.requestTimeoutMs }));
    }
    if (this.#options.ackMode === "flushed" && acks.length > 0) await this.#connection.flush();
    const confirmed = await Promise.all(acks);
    const refused = confirmed.filter((ok) => !ok).length;
    if (refused > 0) throw new Error(`${refused} of ${acks.length} acks were not confirmed`);
    return acks.length;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}
