import { connect } from "node:net";
import { encodeCommand, RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";
import { concatBytes } from "../../protocol/binary/mod.ts";
import { formatHostPort, type HostPort } from "../util/host_port.ts";

/** The limits and wording of one RespPipe. */
export interface RespPipeOptions {
  /** Largest reply, in bytes: a bulk or a partly received reply over it closes the connection. */
  replyBytesMax: number;
  /** Batches written and not answered yet, at most; more are refused (not sent). */
  batchesInFlightMax: number;
  /** The other end, in messages: "connection closed by the server". */
  peerName: string;
  /** This end, in messages: "connection closed by this node". */
  selfName: string;
}

/** What the pipe needs of a connected socket (a `node:net` Socket; a fake in tests). */
export interface PipeSocket {
  write(bytes: Uint8Array): unknown;
  destroy(): unknown;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * A batch failed. `sent` false: it was refused before being written (nothing ran, safe to send
 * again); true: the connection was lost or a reply was overdue after writing, the outcome is
 * unknown.
 */
export class RespPipeError extends Error {
  override name = "RespPipeError";
  /** True when the batch may have reached the other end. */
  readonly sent: boolean;

  /** `sent`: whether the batch had been written before it failed. */
  constructor(message: string, sent: boolean) {
    super(message);
    this.sent = sent;
  }
}

interface Batch {
  count: number;
  replies: RespValue[];
  resolve(replies: RespValue[]): void;
  reject(error: RespPipeError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One pipelined RESP connection: batches of commands are written at once and answered in order.
 * Nothing is queued while disconnected and nothing is ever resent: when the connection ends, a
 * reply is overdue, malformed or too big, every batch in flight fails (`sent`) and the
 * connection is closed for good (the owner opens a new one). Used by the client's node
 * connections and by the cache's Redis store.
 */
export class RespPipe {
  readonly #socket: PipeSocket;
  readonly #options: Readonly<RespPipeOptions>;
  readonly #decoder: RespReplyDecoder;
  readonly #inFlight: Batch[] = [];
  #closed = false;
  #onClose: (reason: string) => void = () => {};

  /** Takes over a connected `socket`. */
  constructor(socket: PipeSocket, options: RespPipeOptions) {
    this.#socket = socket;
    this.#options = { ...options };
    this.#decoder = new RespReplyDecoder({ bulkBytesMax: options.replyBytesMax });
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("close", () => this.#fail(`connection closed by ${options.peerName}`));
    socket.on("error", (error: Error) => this.#fail(error.message));
  }

  /** Connects over TCP with TCP_NODELAY; rejects after `connectTimeoutMs`. */
  static open(
    endpoint: HostPort,
    connectTimeoutMs: number,
    options: RespPipeOptions,
  ): Promise<RespPipe> {
    const where = formatHostPort(endpoint);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: endpoint.host, port: endpoint.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${where} timed out after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      const onError = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`connect to ${where} failed: ${error.message}`));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(new RespPipe(socket, options));
      });
    });
  }

  /** True once the connection ended or was closed; it takes no more batches. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Batches written and not answered yet. */
  get inFlightCount(): number {
    return this.#inFlight.length;
  }

  /** Called once when the connection ends, with why. */
  set onClose(callback: (reason: string) => void) {
    this.#onClose = callback;
  }

  /**
   * Writes `commands` in one go (nothing else can come between them) and answers their replies in
   * order, or fails with RespPipeError; a reply later than `replyTimeoutMs` closes the connection.
   */
  send(
    commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>,
    replyTimeoutMs: number,
  ): Promise<RespValue[]> {
    if (this.#closed) return Promise.reject(new RespPipeError("not connected", false));
    const inFlightMax = this.#options.batchesInFlightMax;
    if (this.#inFlight.length >= inFlightMax) {
      return Promise.reject(new RespPipeError(`${inFlightMax} batches in flight`, false));
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
    this.#fail(`connection closed by ${this.#options.selfName}`);
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
      return this.#fail(`bad reply: ${error instanceof Error ? error.message : String(error)}`);
    }
    const replyBytesMax = this.#options.replyBytesMax;
    if (this.#decoder.bufferedByteCount > replyBytesMax) {
      this.#fail(`reply exceeds ${replyBytesMax} bytes`);
    }
  }

  #fail(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    for (const batch of this.#inFlight.splice(0)) {
      clearTimeout(batch.timer);
      batch.reject(new RespPipeError(`${reason}; the outcome is unknown`, true));
    }
    this.#onClose(reason);
  }
}
