/**
 * A stand-in for the queue commands, for testing the chaos queue workload and its checker before
 * the node serves them: one RESP server on 127.0.0.1 holding queues in memory, written from the
 * contract (QUEUE.PUSH [KEY], POP [VISIBILITY] [COUNT], ACK, NACK, TOUCH, LEN, STATS). A key's
 * messages go out one at a time in push order. `fault` breaks one guarantee on purpose, so a test
 * can show that the checker notices.
 */
import { encodeValue, RespRequestDecoder, type RespValue } from "../../protocol/resp/mod.ts";

/**
 * What the fake breaks: nothing, every 5th push (lost), acks (ignored), key order (reversed), or
 * every queue command (answered as unknown, as a build without queues does).
 */
export type FakeQueueFault = "none" | "lose-pushes" | "ignore-acks" | "reorder-keys" | "not-served";

interface Message {
  readonly id: string;
  readonly payload: Uint8Array;
  readonly key: string | null;
  deliveries: number;
  /** performance.now() ms until which it is in flight; 0 when ready. */
  invisibleUntilMs: number;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const integer = (value: number): RespValue => ({ type: "integer", value });
const bulk = (value: string | Uint8Array): RespValue => ({
  type: "bulk",
  value: typeof value === "string" ? new TextEncoder().encode(value) : value,
});

/** The in-memory queues and the command handler (no sockets). */
export class FakeQueues {
  readonly #queues = new Map<string, Message[]>();
  readonly #counters = { pushed: 0, acked: 0, redelivered: 0 };
  #sequence = 0;

  /** `fault` is the guarantee to break. */
  constructor(readonly fault: FakeQueueFault = "none") {}

  #queue(name: string): Message[] {
    let queue = this.#queues.get(name);
    if (queue === undefined) this.#queues.set(name, queue = []);
    return queue;
  }

  /** Answers one command at `nowMs`. */
  handle(args: Uint8Array[], nowMs: number): RespValue {
    const command = text(args[0] ?? new Uint8Array()).toUpperCase();
    if (this.fault === "not-served") {
      return {
        type: "error",
        value: `ERR unknown command '${command}', with args beginning with: `,
      };
    }
    const queue = this.#queue(text(args[1] ?? new Uint8Array()));
    const options = new Map<string, string>();
    for (let i = command === "QUEUE.PUSH" ? 3 : 2; i + 1 < args.length; i += 2) {
      options.set(text(args[i]!).toUpperCase(), text(args[i + 1]!));
    }
    const id = args[2] === undefined ? "" : text(args[2]);
    const message = queue.find((m) => m.id === id);
    switch (command) {
      case "QUEUE.PUSH": {
        const pushed: Message = {
          id: `0-${++this.#sequence}`,
          payload: args[2]!.slice(), // the decoder reuses its buffer
          key: options.get("KEY") ?? null,
          deliveries: 0,
          invisibleUntilMs: 0,
        };
        this.#counters.pushed++;
        if (!(this.fault === "lose-pushes" && this.#sequence % 5 === 0)) queue.push(pushed);
        return bulk(pushed.id);
      }
      case "QUEUE.POP":
        return this.#pop(queue, options, nowMs);
      case "QUEUE.ACK":
        if (message === undefined) return integer(0);
        if (this.fault !== "ignore-acks") queue.splice(queue.indexOf(message), 1);
        this.#counters.acked++;
        return integer(1);
      case "QUEUE.NACK":
      case "QUEUE.TOUCH": {
        if (message === undefined || message.invisibleUntilMs <= nowMs) return integer(0);
        const ms = command === "QUEUE.NACK" ? 0 : Number(text(args[3] ?? new Uint8Array()));
        message.invisibleUntilMs = command === "QUEUE.NACK" ? 0 : nowMs + ms;
        return integer(1);
      }
      case "QUEUE.STATS":
        return this.#stats(queue, nowMs);
      case "QUEUE.LEN":
        return integer(queue.filter((m) => m.invisibleUntilMs <= nowMs).length);
      default:
        return { type: "error", value: `ERR unknown command '${command}'` };
    }
  }

  #pop(queue: Message[], options: Map<string, string>, nowMs: number): RespValue {
    const count = Number(options.get("COUNT") ?? "1");
    const visibilityMs = Number(options.get("VISIBILITY") ?? "30000");
    const order = this.fault === "reorder-keys" ? [...queue].reverse() : queue;
    const taken: Message[] = [];
    const blockedKeys = new Set<string>();
    for (const m of order) {
      if (taken.length >= count) break;
      const ready = m.invisibleUntilMs <= nowMs;
      const keyFree = m.key === null || !blockedKeys.has(m.key);
      if (m.key !== null && this.fault !== "reorder-keys") blockedKeys.add(m.key);
      if (!ready || !keyFree) continue;
      taken.push(m);
    }
    for (const m of taken) {
      m.deliveries++;
      if (m.deliveries > 1) this.#counters.redelivered++;
      m.invisibleUntilMs = nowMs + visibilityMs;
    }
    return {
      type: "array",
      value: taken.map((m) => ({
        type: "array",
        value: [bulk(m.id), bulk(m.payload), integer(m.deliveries)],
      })),
    };
  }

  #stats(queue: Message[], nowMs: number): RespValue {
    const inflight = queue.filter((m) => m.invisibleUntilMs > nowMs).length;
    const pairs: Array<[string, number]> = [
      ["ready", queue.length - inflight],
      ["inflight", inflight],
      ["delayed", 0],
      ["dead", 0],
      ["pushed", this.#counters.pushed],
      ["acked", this.#counters.acked],
      ["redelivered", this.#counters.redelivered],
      ["dropped", 0],
    ];
    return { type: "array", value: pairs.flatMap(([name, value]) => [bulk(name), integer(value)]) };
  }
}

/** A running fake server. */
export interface FakeQueueServer {
  readonly port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts a fake queue server on 127.0.0.1 (a free port). */
export function startFakeQueueServer(fault: FakeQueueFault): FakeQueueServer {
  const queues = new FakeQueues(fault);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      void serve(conn, queues).finally(() => connections.delete(conn));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const conn of connections) conn.close();
      await serving;
    },
  };
}

async function serve(conn: Deno.Conn, queues: FakeQueues): Promise<void> {
  const decoder = new RespRequestDecoder();
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const count = await conn.read(buffer);
      if (count === null) return;
      decoder.push(buffer.subarray(0, count));
      for (let args = decoder.next(); args !== undefined; args = decoder.next()) {
        const reply = encodeValue(queues.handle(args, performance.now()), 2);
        for (let offset = 0; offset < reply.length;) {
          offset += await conn.write(reply.subarray(offset));
        }
      }
    }
  } catch {
    // closed by the test or the client
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}
