/**
 * A RESP connection for load tools that sends a batch of commands in one write and reads their
 * replies in order (pipelining), one batch in flight at a time, every batch bounded by a timeout.
 */
import { encodeCommand, RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";

/** Replies bigger than this in one batch are refused. */
export const PIPELINE_REPLY_BYTES_MAX = 64 * 1024 * 1024;
/** Most commands in one batch. */
export const PIPELINE_COMMANDS_MAX = 4_096;

/** One TCP connection to a RESP server on 127.0.0.1. */
export class RespPipeline {
  readonly #conn: Deno.TcpConn;
  readonly #decoder = new RespReplyDecoder();
  readonly #buffer = new Uint8Array(64 * 1024);
  #busy = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to 127.0.0.1:`port` with TCP_NODELAY. */
  static async open(port: number): Promise<RespPipeline> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new RespPipeline(conn);
  }

  /** Sends `commands` at once; resolves to their replies in order, or throws after `timeoutMs`. */
  async calls(
    commands: Array<Array<string | Uint8Array>>,
    timeoutMs: number,
  ): Promise<RespValue[]> {
    if (this.#busy) throw new Error("Cannot send a batch: another batch is in flight");
    if (commands.length === 0 || commands.length > PIPELINE_COMMANDS_MAX) {
      throw new RangeError(
        `Cannot send ${commands.length} commands: use 1..${PIPELINE_COMMANDS_MAX}`,
      );
    }
    this.#busy = true;
    const timer = setTimeout(() => this.close(), timeoutMs);
    try {
      return await this.#exchange(commands);
    } catch (error) {
      throw new Error(
        `${String(commands[0]![0])} batch of ${commands.length} failed ` +
          `(timeout ${timeoutMs} ms): ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      clearTimeout(timer);
      this.#busy = false;
    }
  }

  async #exchange(commands: Array<Array<string | Uint8Array>>): Promise<RespValue[]> {
    const parts = commands.map((command) => encodeCommand(command));
    const request = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      request.set(part, at);
      at += part.length;
    }
    for (let offset = 0; offset < request.length;) {
      offset += await this.#conn.write(request.subarray(offset));
    }
    const replies: RespValue[] = [];
    let receivedBytes = 0;
    while (replies.length < commands.length) {
      const value = this.#decoder.next();
      if (value !== undefined) {
        replies.push(value);
        continue;
      }
      const count = await this.#conn.read(this.#buffer);
      if (count === null) throw new Error("connection closed");
      receivedBytes += count;
      if (receivedBytes > PIPELINE_REPLY_BYTES_MAX) {
        throw new Error(`replies exceed ${PIPELINE_REPLY_BYTES_MAX} bytes`);
      }
      this.#decoder.push(this.#buffer.subarray(0, count));
    }
    return replies;
  }

  /** Closes the connection (a batch in flight then fails). */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
