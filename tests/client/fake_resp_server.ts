import { RespRequestDecoder } from "../../protocol/resp/mod.ts";

/** A reply in RESP bytes (see the encoders below), or DROP: close the connection, no reply. */
export type FakeReply = string | typeof DROP;
/** The handler's answer that closes the connection without replying. */
export const DROP = Symbol("drop");

/** Answers one command (its arguments as text), maybe after a while. */
export type FakeHandler = (args: string[]) => FakeReply | Promise<FakeReply>;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A RESP server on 127.0.0.1 that answers as a test says: the node's contract, by hand. */
export class FakeRespServer {
  readonly #listener: Deno.TcpListener;
  readonly #connections = new Set<Deno.TcpConn>();
  readonly #served: Promise<void>;
  /** Every command received so far, in order. */
  readonly commands: string[][] = [];

  private constructor(listener: Deno.TcpListener, handler: FakeHandler) {
    this.#listener = listener;
    this.#served = this.#accept(handler);
  }

  /** Listens on a free loopback port. */
  static start(handler: FakeHandler): FakeRespServer {
    return new FakeRespServer(Deno.listen({ hostname: "127.0.0.1", port: 0 }), handler);
  }

  /** `127.0.0.1:port`. */
  get endpoint(): string {
    return `127.0.0.1:${this.#listener.addr.port}`;
  }

  /** The commands received whose name is `name`. */
  named(name: string): string[][] {
    return this.commands.filter((args) => args[0]?.toUpperCase() === name);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#served;
  }

  async #accept(handler: FakeHandler): Promise<void> {
    const serving: Promise<void>[] = [];
    try {
      for await (const conn of this.#listener) {
        this.#connections.add(conn);
        serving.push(this.#serve(conn, handler).finally(() => this.#connections.delete(conn)));
      }
    } catch {
      // listener closed
    }
    await Promise.all(serving);
  }

  async #serve(conn: Deno.TcpConn, handler: FakeHandler): Promise<void> {
    const requests = new RespRequestDecoder();
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const count = await conn.read(buffer);
        if (count === null) break;
        requests.push(buffer.subarray(0, count));
        for (let args = requests.next(); args !== undefined; args = requests.next()) {
          const text = args.map((arg) => decoder.decode(arg));
          this.commands.push(text);
          const reply = await handler(text);
          if (reply === DROP) {
            closeQuietly(conn);
            return;
          }
          await conn.write(encoder.encode(reply));
        }
      }
    } catch {
      // closed under us
    } finally {
      closeQuietly(conn);
    }
  }
}

function closeQuietly(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** `:n` */
export const int = (n: number): string => `:${n}\r\n`;
/** `$len payload` */
export const bulk = (s: string): string => `$${encoder.encode(s).length}\r\n${s}\r\n`;
/** `-line` */
export const err = (line: string): string => `-${line}\r\n`;
/** `*n items` */
export const arr = (...items: string[]): string => `*${items.length}\r\n${items.join("")}`;
/** `$-1` */
export const NIL = "$-1\r\n";
