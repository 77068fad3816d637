import { encodeFrame, FrameDecoder, type PeerMessage } from "../../protocol/peer/mod.ts";
import { concatBytes } from "../../protocol/binary/mod.ts";
import type { ByteConn } from "../util/tls_conn.ts";

/** Limits of one peer connection. */
export interface PeerConnectionLimits {
  frameBytesMax: number;
  /** Encoded frames waiting to be written; sends beyond this are refused (the caller retries). */
  sendQueueBytesMax: number;
}

const READ_BUFFER_BYTES = 64 * 1024;
/**
 * Dispatch time one read may take in one event-loop turn, in ms. A read of 64 KiB can hold
 * thousands of small frames (forward replies, Raft batches); the rest of them wait for a later
 * turn so heartbeats, ticks and the failure detector run in between (a Raft tick is 50 ms).
 */
export const PEER_DISPATCH_SLICE_MS = 10;
/** Frames dispatched between clock reads while a read is sliced. */
const FRAMES_PER_CLOCK_READ = 32;

/**
 * One TCP (or TLS) connection to a peer: a read loop decoding frames, and a bounded send queue written
 * in batches (all frames sent in one event-loop turn, or queued while the previous write ran,
 * go out in one write).
 */
export class PeerConnection {
  /** Receives every decoded message; replaced by the transport after the handshake. */
  onMessage: (message: PeerMessage) => void = () => {};
  /** Messages that arrived before the transport took over (replayed by it). */
  backlog: PeerMessage[] = [];
  /** Resolves once the connection is closed, with the reason. */
  readonly closed: Promise<string>;
  readonly remoteAddress: string;
  /** Reads whose frames were dispatched over more than one turn (see PEER_DISPATCH_SLICE_MS). */
  slicedReadCount = 0;
  readonly #conn: ByteConn;
  readonly #limits: PeerConnectionLimits;
  #queue: Uint8Array[] = [];
  #queueBytes = 0;
  #writing = false;
  /** A write is queued for the end of this turn (frames sent in one turn leave in one write). */
  #writeQueued = false;
  #isClosed = false;
  #closeWhenFlushed: string | null = null;
  #resolveClosed: (reason: string) => void = () => {};
  /** Frames refused because the send queue was full. */
  droppedFrameCount = 0;

  /** The node id the peer's TLS certificate names (null on plain TCP or when it names none). */
  readonly certificateNodeId: string | null;

  constructor(
    conn: ByteConn,
    limits: PeerConnectionLimits,
    certificateNodeId: string | null = null,
  ) {
    this.certificateNodeId = certificateNodeId;
    this.#conn = conn;
    this.#limits = limits;
    const remote = conn.remoteAddr as Deno.NetAddr;
    this.remoteAddress = `${remote.hostname}:${remote.port}`;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    void this.#readLoop();
  }

  /** True until close. */
  get isOpen(): boolean {
    return !this.#isClosed;
  }

  /** Queues a message; false when the connection is closed or its send queue is full. */
  send(message: PeerMessage): boolean {
    if (this.#isClosed) return false;
    const frame = encodeFrame(message);
    if (this.#queueBytes + frame.length > this.#limits.sendQueueBytesMax) {
      this.droppedFrameCount++;
      return false;
    }
    this.#queue.push(frame);
    this.#queueBytes += frame.length;
    if (!this.#writing && !this.#writeQueued) {
      this.#writeQueued = true;
      queueMicrotask(() => {
        this.#writeQueued = false;
        if (!this.#writing) void this.#writeLoop();
      });
    }
    return true;
  }

  /** Closes once every queued frame is written (e.g. after a handshake rejection). */
  end(reason: string): void {
    if (this.#writing || this.#writeQueued) this.#closeWhenFlushed = reason;
    else this.close(reason);
  }

  /** Closes the socket; idempotent. */
  close(reason: string): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#queue = [];
    this.#queueBytes = 0;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#resolveClosed(reason);
  }

  async #readLoop(): Promise<void> {
    const decoder = new FrameDecoder({ frameBytesMax: this.#limits.frameBytesMax });
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    try {
      for (;;) {
        const count = await this.#conn.read(buffer);
        if (count === null) return this.close("closed by peer");
        decoder.push(buffer.subarray(0, count));
        let sliceStartMs = performance.now();
        let frames = 0;
        for (let message = decoder.next(); message !== undefined; message = decoder.next()) {
          this.onMessage(message);
          if (this.#isClosed) return;
          if (++frames % FRAMES_PER_CLOCK_READ !== 0) continue;
          if (performance.now() - sliceStartMs < PEER_DISPATCH_SLICE_MS) continue;
          this.slicedReadCount++;
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (this.#isClosed) return;
          sliceStartMs = performance.now();
        }
      }
    } catch (error) {
      this.close(error instanceof Error ? error.message : String(error));
    }
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#isClosed) {
        const batch = concatBytes(this.#queue, this.#queueBytes);
        this.#queue = [];
        this.#queueBytes = 0;
        let offset = 0;
        while (offset < batch.length) offset += await this.#conn.write(batch.subarray(offset));
      }
    } catch (error) {
      this.close(error instanceof Error ? error.message : String(error));
    } finally {
      this.#writing = false;
    }
    if (this.#closeWhenFlushed !== null) this.close(this.#closeWhenFlushed);
  }
}
