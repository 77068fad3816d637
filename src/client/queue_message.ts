import type { RespValue } from "../../protocol/resp/mod.ts";
import { arrayReply, integerReply, textReply, UnexpectedReplyError } from "./replies.ts";

const decoder = new TextDecoder();

/** One popped message: `[id, payload, delivery-count]` of `QUEUE.POP`. */
export class QueueMessage {
  /** The message id (ACK/NACK/TOUCH name it). */
  readonly id: string;
  /** The payload's bytes, as pushed. */
  readonly payload: Uint8Array;
  /** How many times it has been delivered, this delivery included (1 the first time). */
  readonly deliveryCount: number;

  /** A message as popped. */
  constructor(id: string, payload: Uint8Array, deliveryCount: number) {
    this.id = id;
    this.payload = payload;
    this.deliveryCount = deliveryCount;
  }

  /** The payload decoded as UTF-8. */
  get text(): string {
    return decoder.decode(this.payload);
  }
}

/** The messages of a `QUEUE.POP` reply. */
export function messagesReply(reply: RespValue): QueueMessage[] {
  if (reply.type === "null") return [];
  return arrayReply("QUEUE.POP", reply).map((item) => {
    const fields = arrayReply("QUEUE.POP", item);
    const [id, payload, count] = fields;
    if (fields.length !== 3 || payload === undefined || payload.type !== "bulk") {
      throw new UnexpectedReplyError("QUEUE.POP", item);
    }
    return new QueueMessage(
      textReply("QUEUE.POP", id!),
      payload.value,
      integerReply("QUEUE.POP", count!),
    );
  });
}
