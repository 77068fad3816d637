/**
 * One dsync queue client for `bench/load/queue_bench.ts`, written against the contract
 * (docs: ../shared/spec/commands.md, "Queues"): `QUEUE.PUSH q payload` → the message id once it
 * is durable on a majority; `QUEUE.POP q WAIT ms COUNT n` → `[[id, payload, count], ...]`;
 * `QUEUE.ACK q id` → `:1`. The ACKs of one batch go out pipelined on the connection. A build
 * that answers `-ERR unknown command` for QUEUE.* raises CommandsNotServedError.
 */
import type { RespValue } from "../../protocol/resp/mod.ts";
import { replyText } from "../../src/client/resp_connection.ts";
import { RespPipeline } from "./resp_pipeline.ts";
import { CommandsNotServedError, type QueueBenchClient } from "./queue_workload.ts";

/** Settings of a dsync queue client. */
export interface DsyncQueueOptions {
  /** The queue every client pushes to and pops from. */
  queue: string;
  /** `WAIT` of every POP, ms: how long an empty queue is waited on before `[]`. */
  popWaitMs: number;
  /** Bound on one call (a PUSH; a POP; the ACKs of a batch) beyond its WAIT, ms. */
  requestTimeoutMs: number;
}

/** The line printed when the node does not know the queue commands. */
export const QUEUES_NOT_SERVED =
  "queues not served by this build: QUEUE.* answered an unknown-command error";

function check(command: string, reply: RespValue): RespValue {
  if (reply.type === "error" || reply.type === "blobError") {
    if (/^ERR unknown command/i.test(reply.value)) {
      throw new CommandsNotServedError(`${QUEUES_NOT_SERVED} (${command}: -${reply.value})`);
    }
    throw new Error(`${command} answered -${reply.value}`);
  }
  return reply;
}

/** The ids of a POP reply, validated against the contract's shape. */
export function popIds(reply: RespValue): Uint8Array[] {
  if (reply.type !== "array") throw new Error(`QUEUE.POP answered ${replyText(reply)}`);
  return reply.value.map((message) => {
    const id = message.type === "array" ? message.value[0] : undefined;
    if (message.type !== "array" || message.value.length !== 3 || id?.type !== "bulk") {
      throw new Error(`QUEUE.POP answered a message that is not [id, payload, count]`);
    }
    return id.value;
  });
}

/** A dsync client on one node's client port. */
export class DsyncQueueClient implements QueueBenchClient {
  readonly #pipeline: RespPipeline;
  readonly #options: DsyncQueueOptions;

  private constructor(pipeline: RespPipeline, options: DsyncQueueOptions) {
    this.#pipeline = pipeline;
    this.#options = options;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async open(port: number, options: DsyncQueueOptions): Promise<DsyncQueueClient> {
    return new DsyncQueueClient(await RespPipeline.open(port), options);
  }

  /** QUEUE.PUSH; resolves on the id (the message is durable on a majority). */
  async push(payload: Uint8Array): Promise<void> {
    const [reply] = await this.#pipeline.calls(
      [["QUEUE.PUSH", this.#options.queue, payload]],
      this.#options.requestTimeoutMs,
    );
    if (check("QUEUE.PUSH", reply!).type !== "bulk") {
      throw new Error(`QUEUE.PUSH answered ${replyText(reply!)}, not an id`);
    }
  }

  /** QUEUE.POP with COUNT, then one QUEUE.ACK per message, pipelined; each must answer `:1`. */
  async popAck(count: number): Promise<number> {
    const { queue, popWaitMs, requestTimeoutMs } = this.#options;
    const [popped] = await this.#pipeline.calls(
      [["QUEUE.POP", queue, "WAIT", String(popWaitMs), "COUNT", String(count)]],
      popWaitMs + requestTimeoutMs,
    );
    const ids = popIds(check("QUEUE.POP", popped!));
    if (ids.length === 0) return 0;
    const acks = await this.#pipeline.calls(
      ids.map((id) => ["QUEUE.ACK", queue, id]),
      requestTimeoutMs,
    );
    for (const ack of acks) {
      const reply = check("QUEUE.ACK", ack);
      if (reply.type !== "integer" || reply.value !== 1) {
        throw new Error(`QUEUE.ACK answered ${replyText(reply)}, not :1`);
      }
    }
    return ids.length;
  }

  /** Closes the connection. */
  close(): Promise<void> {
    this.#pipeline.close();
    return Promise.resolve();
  }
}
