import { arr, bulk, type FakeHandler, int } from "./fake_resp_server.ts";

/**
 * The queue commands of the contract, by hand, for one queue without partitions: POP hands out the
 * ready messages in order (an empty array after a short wait when there are none), TOUCH answers
 * `touchReply(id)`, ACK and NACK record what they were given.
 */
export class FakeQueue {
  readonly ready: Array<{ id: string; payload: string }> = [];
  readonly inFlight = new Set<string>();
  readonly acked: string[] = [];
  readonly nacked: string[] = [];
  /** TOUCH requests as `id ms`. */
  readonly touches: string[] = [];
  #sequence = 0;
  /** Whether a TOUCH keeps the message (default: while in flight). */
  touchReply: (id: string) => boolean = (id) => this.inFlight.has(id);

  /** Adds a ready message; returns its id. */
  add(payload: string): string {
    const id = `0-${++this.#sequence}`;
    this.ready.push({ id, payload });
    return id;
  }

  /** The server handler. */
  readonly handler: FakeHandler = async (args) => {
    const [name, , id, ms] = args;
    switch (name) {
      case "QUEUE.PUSH":
        return bulk(this.add(args[2]!));
      case "QUEUE.POP": {
        const message = this.ready.shift();
        if (message === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return arr();
        }
        this.inFlight.add(message.id);
        return arr(arr(bulk(message.id), bulk(message.payload), int(1)));
      }
      case "QUEUE.TOUCH":
        this.touches.push(`${id} ${ms}`);
        return int(this.touchReply(id!) ? 1 : 0);
      case "QUEUE.ACK":
        this.acked.push(id!);
        return int(this.inFlight.delete(id!) ? 1 : 0);
      case "QUEUE.NACK":
        this.nacked.push(id!);
        return int(this.inFlight.delete(id!) ? 1 : 0);
      case "QUEUE.STATS":
        return arr(
          bulk("ready"),
          int(this.ready.length),
          bulk("inflight"),
          int(this.inFlight.size),
        );
      default:
        return `-ERR unknown command '${name}'\r\n`;
    }
  };
}
