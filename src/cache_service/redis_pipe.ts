import { connect, type Socket } from "node:net";
import { encodeCommand, RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";
import { concatBytes } from "../../protocol/binary/mod.ts";
import { StoreUnavailableError } from "./store_unavailable.ts";

/** A reply bigger than this closes the connection (values are bounded far below it). */
const REDIS_REPLY_BYTES_MAX = 64 * 1024 * 1024;
/** Batches written and not answered yet, at most; more are refused (not sent). */
export const REDIS_BATCHES_IN_FLIGHT_MAX = 10_000;

interface Batch {
  count: number;
  replies: RespValue[];
  resolve(replies: RespValue[]): void;
  reject(error: StoreUnavailableError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One pipelined RESP connection to a Redis server: batches of commands are written at once and
 * answered in order. Nothing is queued while disconnected and nothing is ever resent: when the
 * connection ends or a reply is overdue, every batch in flight fails as "maybe sent" and the
 * connection is closed (the owner opens a new one). Built on `node:net` and the project's
 * bounded RESP decoder.
 */
export class RedisPipe {
  readonly #socket: Socket;
  readonly #decoder = new RespReplyDecoder({ bulkBytesMax: REDIS_REPLY_BYTES_MAX });
  readonly #inFlight: Batch[] = [];
  #closed = false;
  #onClose: (reason: string) => void = () => {};

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("close", () => this.#fail("connection closed by the server"));
    socket.on("error", (error: Error) => this.#fail(error.message));
  }

  /** Connects with TCP_NODELAY; rejects after `timeoutMs`. */
  static open(host: string, port: number, timeoutMs: number): Promise<RedisPipe> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`connect failed: ${error.message}`));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(new RedisPipe(socket));
      });
    });
  }

  /** True once the connection ended or was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Called once when the connection ends, with why. */
  set onClose(callback: (reason: string) => void) {
    this.#onClose = callback;
  }

  /**
   * Writes `commands` in one go (nothing else can come between them) and answers their replies
   * in order, or fails with StoreUnavailableError after `replyTimeoutMs` (closing the connection).
   */
  send(commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>, replyTimeoutMs: number) {
    if (this.#closed) {
      return Promise.reject(new StoreUnavailableError("not connected", false));
    }
    if (this.#inFlight.length >= REDIS_BATCHES_IN_FLIGHT_MAX) {
      return Promise.reject(
        new StoreUnavailableError(`${REDIS_BATCHES_IN_FLIGHT_MAX} batches in flight`, false),
      );
    }
    return new Promise<RespValue[]>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(`no reply within ${replyTimeoutMs} ms`),
        replyTimeoutMs,
      );
      this.#inFlight.push({ count: commands.length, replies: [], resolve, reject, timer });
      const frames = commands.map((args) => encodeCommand(args));
      this.#socket.write(concatBytes(frames));
    });
  }

  /** Closes the socket; batches in flight fail. */
  close(): void {
    this.#fail("connection closed by this node");
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#decoder.push(chunk);
      for (let value = this.#decoder.next(); value !== undefined; value = this.#decoder.next()) {
        const batch = this.#inFlight[0];
        if (batch === undefined) return this.#fail("a reply arrived with no command in flight");
        batch.replies.push(value);
        if (batch.replies.length < batch.count) continue;
        this.#inFlight.shift();
        clearTimeout(batch.timer);
        batch.resolve(batch.replies);
      }
    } catch (error) {
      this.#fail(`bad reply: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #fail(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    for (const batch of this.#inFlight.splice(0)) {
      clearTimeout(batch.timer);
      batch.reject(new StoreUnavailableError(`${reason}; the outcome is unknown`, true));
    }
    this.#onClose(reason);
  }
}
