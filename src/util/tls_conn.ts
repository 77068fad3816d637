import type { TLSSocket } from "node:tls";

/** The byte-stream side of a connection that peer and client connections use. */
export interface ByteConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
  readonly remoteAddr: Deno.Addr;
}

/** Received bytes held before the socket is paused (the reader catches up first). */
const READ_BUFFERED_BYTES_MAX = 1024 * 1024;

/**
 * A `node:tls` socket seen as a `ByteConn`: reads drain a bounded queue of received chunks
 * (the socket pauses while it is full), writes resolve once the socket accepted the bytes.
 */
export class TlsSocketConn implements ByteConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: TLSSocket;
  #chunks: Uint8Array[] = [];
  #bufferedBytes = 0;
  #ended = false;
  #error: Error | null = null;
  #wakeReader: (() => void) | null = null;

  constructor(socket: TLSSocket) {
    this.#socket = socket;
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#bufferedBytes += chunk.length;
      if (this.#bufferedBytes >= READ_BUFFERED_BYTES_MAX) socket.pause();
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", (error: Error) => {
      this.#error = error;
      this.#wake();
    });
  }

  /** The node id the peer's certificate names (see `certificateNodeId`), or null. */
  peerNodeId(): string | null {
    return certificateNodeId(this.#socket.getPeerCertificate());
  }

  /** Copies received bytes into `buffer`; null at end of stream. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wakeReader = resolve);
    }
    let count = 0;
    while (count < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0]!;
      const taken = Math.min(chunk.length, buffer.length - count);
      buffer.set(chunk.subarray(0, taken), count);
      count += taken;
      if (taken === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(taken);
    }
    this.#bufferedBytes -= count;
    if (this.#bufferedBytes < READ_BUFFERED_BYTES_MAX && this.#socket.isPaused()) {
      this.#socket.resume();
    }
    return count;
  }

  /** Hands `data` to the socket; resolves once it is below its high-water mark again. */
  write(data: Uint8Array): Promise<number> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#socket.destroyed) return Promise.reject(new Error("connection closed"));
    // The socket may keep the buffer until it is flushed: give it its own copy.
    if (this.#socket.write(data.slice())) return Promise.resolve(data.length);
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#socket.off("drain", done);
        this.#socket.off("close", done);
        if (this.#socket.destroyed) reject(this.#error ?? new Error("connection closed"));
        else resolve(data.length);
      };
      this.#socket.on("drain", done);
      this.#socket.on("close", done);
    });
  }

  /** Destroys the socket; idempotent. */
  close(): void {
    this.#ended = true;
    this.#socket.destroy();
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = null;
    wake?.();
  }
}

const NODE_URI_PREFIX = "URI:dsync://node/";

/**
 * The node id a certificate names: its subject alternative name `URI:dsync://node/<id>` when
 * present, else its subject common name; null when it names none.
 */
export function certificateNodeId(
  certificate: { subject?: { CN?: string | string[] }; subjectaltname?: string } | null,
): string | null {
  if (certificate === null || certificate === undefined) return null;
  for (const name of (certificate.subjectaltname ?? "").split(", ")) {
    if (name.startsWith(NODE_URI_PREFIX)) return name.slice(NODE_URI_PREFIX.length);
  }
  const cn = certificate.subject?.CN;
  if (Array.isArray(cn)) return cn.length === 1 ? cn[0]! : null;
  return cn === undefined || cn === "" ? null : cn;
}
