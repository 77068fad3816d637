import { connect, type Socket } from "node:net";
import { encodeCommand, RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";
import { formatHostPort, type HostPort } from "../util/host_port.ts";

/** Replies bigger than this close the connection (a broken server cannot exhaust memory). */
export const REPLY_BYTES_MAX = 64 * 1024 * 1024;

/**
 * The connection ended before a reply arrived. `sent` is true when the command had been written:
 * it may have run, so only an idempotent command may be sent again.
 */
export class ConnectionLostError extends Error {
  /** True when the command may have reached the node. */
  readonly sent: boolean;

  /** `sent`: whether the command had been written before the loss. */
  constructor(message: string, sent: boolean) {
    super(message);
    this.name = "ConnectionLostError";
    this.sent = sent;
  }
}

interface PendingCall {
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One client connection to one node, one command in flight at a time (blocking commands such as
 * `LOCK.ACQUIRE ... WAIT` or `QUEUE.POP ... WAIT` hold it; others use another connection). Built on
 * `node:net`, so it runs on Deno and on Node. A reply that is overdue closes the connection.
 */
export class NodeConnection {
  readonly endpoint: HostPort;
  readonly #socket: Socket;
  readonly #decoder = new RespReplyDecoder({ bulkBytesMax: REPLY_BYTES_MAX });
  #pending: PendingCall | null = null;
  #receivedBytes = 0;
  #closed = false;

  private constructor(endpoint: HostPort, socket: Socket) {
    this.endpoint = endpoint;
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("close", () => this.#fail("connection closed by the node"));
    socket.on("error", (error: Error) => this.#fail(error.message));
  }

  /** Connects with TCP_NODELAY; rejects after `timeoutMs`. */
  static open(endpoint: HostPort, timeoutMs: number): Promise<NodeConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: endpoint.host, port: endpoint.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${formatHostPort(endpoint)} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`connect to ${formatHostPort(endpoint)} failed: ${error.message}`));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(new NodeConnection(endpoint, socket));
      });
    });
  }

  /** True once the connection ended (or was closed); it takes no more commands. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one command and waits at most `replyTimeoutMs` for its reply. Fails with
   * ConnectionLostError when the connection ends first or the reply is overdue.
   */
  call(args: ReadonlyArray<string | Uint8Array>, replyTimeoutMs: number): Promise<RespValue> {
    if (this.#closed) {
      return Promise.reject(new ConnectionLostError("connection already closed", false));
    }
    if (this.#pending !== null) throw new Error("NodeConnection: one command at a time");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(`no reply within ${replyTimeoutMs} ms`);
      }, replyTimeoutMs);
      this.#pending = { resolve, reject, timer };
      this.#receivedBytes = 0;
      this.#socket.write(encodeCommand(args));
    });
  }

  /** Closes the socket; a command in flight fails with ConnectionLostError. */
  close(): void {
    this.#fail("connection closed by the client");
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#receivedBytes += chunk.length;
    if (this.#receivedBytes > REPLY_BYTES_MAX) {
      this.#fail(`reply exceeds ${REPLY_BYTES_MAX} bytes`);
      return;
    }
    let value: RespValue | undefined;
    try {
      this.#decoder.push(chunk);
      value = this.#decoder.next();
    } catch (error) {
      this.#fail(`bad reply: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (value === undefined) return;
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null) {
      this.#fail("a reply arrived with no command in flight");
      return;
    }
    clearTimeout(pending.timer);
    pending.resolve(value);
  }

  #fail(reason: string): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#socket.destroy();
    }
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null) return;
    clearTimeout(pending.timer);
    const where = formatHostPort(this.endpoint);
    pending.reject(new ConnectionLostError(`${where}: ${reason}; the outcome is unknown`, true));
  }
}
