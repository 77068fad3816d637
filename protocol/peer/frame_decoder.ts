import { assert } from "../../src/util/assert.ts";
import {
  checkFrameHeader,
  checkFrameLength,
  decodeFrameContent,
  frameBytesMaxOf,
  type FrameOptions,
} from "./frame.ts";
import { DecodeError } from "../binary/mod.ts";
import { FrameError } from "./frame_error.ts";
import { FRAME_HEADER_BYTES, FRAME_LENGTH_BYTES } from "./limits.ts";
import type { PeerMessage } from "./message.ts";

/** Initial size of a decoder's buffer, in bytes. */
const DECODER_BUFFER_BYTES_INITIAL = 16 * 1024;

/** A fully drained buffer larger than this is released, so one big frame does not pin memory. */
const DECODER_BUFFER_BYTES_RETAINED_MAX = 1024 * 1024;

/**
 * Incremental decoder fed by byte chunks split anywhere.
 *
 * Usage: `push(chunk)`, then call `next()` until it returns undefined. Memory is bounded: the
 * decoder holds at most one partial frame (< 4 + frameBytesMax bytes) plus the chunk being
 * pushed. A length prefix above `frameBytesMax` is rejected as soon as its 4 bytes arrive, and
 * the version and type bytes as soon as they arrive, before any body is buffered.
 * After a DecodeError (a FrameError for frame-level problems) the decoder is unusable: `push`
 * and `next` rethrow that error.
 */
export class FrameDecoder {
  /** Largest accepted `frameLength`, in bytes. */
  readonly #frameBytesMax: number;
  /** Buffered stream bytes; `[#startOffset, #endOffset)` are pushed but not yet consumed. */
  #buffer: Uint8Array = new Uint8Array(DECODER_BUFFER_BYTES_INITIAL);
  /** Offset of the first unconsumed byte; always <= `#endOffset`. */
  #startOffset = 0;
  /** Offset just after the last pushed byte; always <= `#buffer.length`. */
  #endOffset = 0;
  /** Whether the header of the frame at `#startOffset` was already validated. */
  #headerChecked = false;
  /** The first decode failure; once set, every call rethrows it. */
  #error: DecodeError | undefined;

  /** Creates a decoder; `frameBytesMax` (default 16 MiB) bounds each frame's length. */
  constructor(options: FrameOptions = {}) {
    this.#frameBytesMax = frameBytesMaxOf(options);
  }

  /** Number of pushed bytes not yet consumed by `next()`. */
  get bufferedBytes(): number {
    return this.#endOffset - this.#startOffset;
  }

  /** Size of the internal buffer, in bytes (for memory accounting). */
  get capacityBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Appends a chunk (copied; the caller may reuse it). Throws FrameError if the unconsumed bytes
   * already hold a whole frame, i.e. the caller did not drain with `next()` before pushing.
   */
  push(chunk: Uint8Array): void {
    if (this.#error !== undefined) throw this.#error;
    if (chunk.length === 0) return;
    const bufferedBytes = this.bufferedBytes;
    if (bufferedBytes > FRAME_LENGTH_BYTES + this.#frameBytesMax) {
      throw this.#fail(
        new FrameError(
          `Cannot buffer chunk: ${bufferedBytes} unconsumed bytes exceed maximum of ` +
            `${FRAME_LENGTH_BYTES + this.#frameBytesMax} bytes; call next() until it ` +
            `returns undefined before pushing more`,
        ),
      );
    }
    this.#makeRoom(chunk.length);
    this.#buffer.set(chunk, this.#endOffset);
    this.#endOffset += chunk.length;
  }

  /** Next decoded message or undefined if incomplete; throws DecodeError (decoder unusable after). */
  next(): PeerMessage | undefined {
    if (this.#error !== undefined) throw this.#error;
    const bufferedBytes = this.bufferedBytes;
    if (bufferedBytes < FRAME_LENGTH_BYTES) return undefined;
    const start = this.#startOffset;
    const buffer = this.#buffer;
    const frameLength = ((buffer[start]! << 24) | (buffer[start + 1]! << 16) |
      (buffer[start + 2]! << 8) | buffer[start + 3]!) >>> 0;
    try {
      if (!this.#headerChecked) {
        checkFrameLength(frameLength, this.#frameBytesMax);
        if (bufferedBytes < FRAME_HEADER_BYTES) return undefined;
        checkFrameHeader(buffer[start + 4]!, buffer[start + 5]!);
        this.#headerChecked = true;
      }
      const frameEnd = start + FRAME_LENGTH_BYTES + frameLength;
      if (frameEnd > this.#endOffset) return undefined;
      const message = decodeFrameContent(buffer.subarray(start + FRAME_LENGTH_BYTES, frameEnd));
      this.#consume(frameEnd);
      return message;
    } catch (error) {
      if (error instanceof DecodeError) throw this.#fail(error);
      throw error;
    }
  }

  #fail(error: DecodeError): DecodeError {
    this.#error = error;
    this.#buffer = new Uint8Array(0);
    this.#startOffset = 0;
    this.#endOffset = 0;
    return error;
  }

  #consume(frameEnd: number): void {
    assert(frameEnd <= this.#endOffset, "a frame is consumed only once fully buffered");
    this.#startOffset = frameEnd;
    this.#headerChecked = false;
    if (this.#startOffset !== this.#endOffset) return;
    this.#startOffset = 0;
    this.#endOffset = 0;
    if (this.#buffer.length > DECODER_BUFFER_BYTES_RETAINED_MAX) {
      this.#buffer = new Uint8Array(DECODER_BUFFER_BYTES_INITIAL);
    }
  }

  #makeRoom(extraBytes: number): void {
    if (this.#endOffset + extraBytes <= this.#buffer.length) return;
    const bufferedBytes = this.bufferedBytes;
    const neededBytes = bufferedBytes + extraBytes;
    if (neededBytes <= this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#startOffset, this.#endOffset);
    } else {
      // Doubling is capped at one largest frame, so the buffer never exceeds
      // max(4 + frameBytesMax, unconsumed bytes + chunk).
      const doubledBytes = Math.min(
        this.#buffer.length * 2,
        FRAME_LENGTH_BYTES + this.#frameBytesMax,
      );
      const grown = new Uint8Array(Math.max(neededBytes, doubledBytes));
      grown.set(this.#buffer.subarray(this.#startOffset, this.#endOffset));
      this.#buffer = grown;
    }
    this.#startOffset = 0;
    this.#endOffset = bufferedBytes;
  }
}
