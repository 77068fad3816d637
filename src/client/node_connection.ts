import type { RespValue } from "../../protocol/resp/mod.ts";
import { formatHostPort, type HostPort } from "../util/host_port.ts";
import { RespPipe, RespPipeError, type RespPipeOptions } from "./resp_pipe.ts";

/** Replies bigger than this close the connection (a broken server cannot exhaust memory). */
export const REPLY_BYTES_MAX = 64 * 1024 * 1024;

const PIPE_OPTIONS: Readonly<RespPipeOptions> = Object.freeze({
  replyBytesMax: REPLY_BYTES_MAX,
  batchesInFlightMax: 1,
  peerName: "the node",
  selfName: "the client",
});

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

/**
 * One client connection to one node, one command in flight at a time (blocking commands such as
 * `LOCK.ACQUIRE ... WAIT` or `QUEUE.POP ... WAIT` hold it; others use another connection). A
 * RespPipe over `node:net`, so it runs on Deno and on Node. A reply that is overdue closes the
 * connection.
 */
export class NodeConnection {
  readonly endpoint: HostPort;
  readonly #pipe: RespPipe;

  private constructor(endpoint: HostPort, pipe: RespPipe) {
    this.endpoint = endpoint;
    this.#pipe = pipe;
  }

  /** Connects with TCP_NODELAY; rejects after `timeoutMs`. */
  static async open(endpoint: HostPort, timeoutMs: number): Promise<NodeConnection> {
    return new NodeConnection(endpoint, await RespPipe.open(endpoint, timeoutMs, PIPE_OPTIONS));
  }

  /** True once the connection ended (or was closed); it takes no more commands. */
  get closed(): boolean {
    return this.#pipe.closed;
  }

  /**
   * Sends one command and waits at most `replyTimeoutMs` for its reply. Fails with
   * ConnectionLostError when the connection ends first or the reply is overdue.
   */
  call(args: ReadonlyArray<string | Uint8Array>, replyTimeoutMs: number): Promise<RespValue> {
    if (this.#pipe.closed) {
      return Promise.reject(new ConnectionLostError("connection already closed", false));
    }
    if (this.#pipe.inFlightCount > 0) throw new Error("NodeConnection: one command at a time");
    return this.#pipe.send([args], replyTimeoutMs).then(
      (replies) => replies[0]!,
      (error) => {
        if (!(error instanceof RespPipeError)) throw error;
        const where = formatHostPort(this.endpoint);
        throw new ConnectionLostError(`${where}: ${error.message}`, error.sent);
      },
    );
  }

  /** Closes the socket; a command in flight fails with ConnectionLostError. */
  close(): void {
    this.#pipe.close();
  }
}
