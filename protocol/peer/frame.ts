import { BinaryReader, BinaryWriter } from "../binary/mod.ts";
import { FrameError } from "./frame_error.ts";
import {
  DEFAULT_FRAME_BYTES_MAX,
  FRAME_HEADER_BYTES,
  FRAME_LENGTH_BYTES,
  FRAME_LENGTH_MIN,
  PEER_PROTOCOL_VERSION,
  U32_MAX,
} from "./limits.ts";
import {
  MESSAGE_TYPE_CODES,
  MESSAGE_TYPE_NAMES,
  type PeerMessage,
  type PeerMessageType,
  VERSION_INDEPENDENT_TYPES,
} from "./message.ts";
import { bodyBytesHint, decodeBody, encodeBody, messageTypeOfCode } from "./message_codec.ts";

/** Options shared by the frame encoder and decoders. */
export interface FrameOptions {
  /** Largest accepted `frameLength` (bytes after the length prefix); default 16 MiB. */
  frameBytesMax?: number;
}

/**
 * Encodes one message as a complete frame (length prefix included). Throws RangeError if a
 * field cannot be represented or the frame would exceed `frameBytesMax`.
 */
export function encodeFrame(message: PeerMessage, options: FrameOptions = {}): Uint8Array {
  const frameBytesMax = frameBytesMaxOf(options);
  const writer = new BinaryWriter(FRAME_HEADER_BYTES + bodyBytesHint(message));
  writer.u32(0).u8(PEER_PROTOCOL_VERSION).u8(MESSAGE_TYPE_CODES[message.type]);
  encodeBody(writer, message);
  const frameLength = writer.lengthBytes - FRAME_LENGTH_BYTES;
  if (frameLength > frameBytesMax) {
    throw new RangeError(
      `Cannot encode ${MESSAGE_TYPE_NAMES[message.type]}: frame length ${frameLength} ` +
        `exceeds maximum of ${frameBytesMax} bytes`,
    );
  }
  return writer.patchU32(0, frameLength).view();
}

/**
 * Decodes exactly one complete frame (length prefix included); throws FrameError if the bytes
 * are not exactly one valid frame.
 */
export function decodeFrame(frame: Uint8Array, options: FrameOptions = {}): PeerMessage {
  const frameBytesMax = frameBytesMaxOf(options);
  const reader = new BinaryReader(frame, "frame");
  const frameLength = reader.u32();
  checkFrameLength(frameLength, frameBytesMax);
  if (frameLength !== reader.remainingBytes) {
    throw new FrameError(
      `Cannot decode frame: length ${frameLength} does not match the ` +
        `${reader.remainingBytes} bytes that follow the length prefix`,
    );
  }
  return decodeFrameContent(frame.subarray(FRAME_LENGTH_BYTES));
}

/** Validates a frame's options and returns its effective `frameBytesMax`. */
export function frameBytesMaxOf(options: FrameOptions): number {
  const frameBytesMax = options.frameBytesMax ?? DEFAULT_FRAME_BYTES_MAX;
  const valid = Number.isInteger(frameBytesMax) && frameBytesMax >= FRAME_LENGTH_MIN &&
    frameBytesMax <= U32_MAX;
  if (!valid) {
    throw new RangeError(
      `Invalid frameBytesMax ${frameBytesMax}: expected an integer in ${FRAME_LENGTH_MIN}..${U32_MAX}`,
    );
  }
  return frameBytesMax;
}

/** Throws FrameError if a decoded `frameLength` is outside `FRAME_LENGTH_MIN..frameBytesMax`. */
export function checkFrameLength(frameLength: number, frameBytesMax: number): void {
  if (frameLength > frameBytesMax) {
    throw new FrameError(
      `Cannot decode frame: length ${frameLength} exceeds maximum of ${frameBytesMax} bytes`,
    );
  }
  if (frameLength < FRAME_LENGTH_MIN) {
    throw new FrameError(
      `Cannot decode frame: length ${frameLength} is below minimum of ${FRAME_LENGTH_MIN} bytes`,
    );
  }
}

/**
 * Throws FrameError unless `version` and the type `code` are acceptable; returns the type.
 * Handshake-family types are accepted with any version (their layout is frozen).
 */
export function checkFrameHeader(version: number, code: number): PeerMessageType {
  const type = messageTypeOfCode(code);
  const versionFree = type !== undefined && VERSION_INDEPENDENT_TYPES.has(type);
  if (version !== PEER_PROTOCOL_VERSION && !versionFree) {
    throw new FrameError(
      `Cannot decode frame: unsupported protocol version ${version} ` +
        `(expected ${PEER_PROTOCOL_VERSION})`,
    );
  }
  if (type === undefined) {
    throw new FrameError(`Cannot decode frame: unknown message type ${code}`);
  }
  return type;
}

/** Decodes the `frameLength` bytes after a length prefix: version, message type, then body. */
export function decodeFrameContent(content: Uint8Array): PeerMessage {
  const version = content[0];
  const code = content[1];
  if (version === undefined || code === undefined) {
    throw new FrameError(
      `Cannot decode frame: length ${content.length} is below minimum of ${FRAME_LENGTH_MIN} bytes`,
    );
  }
  const type = checkFrameHeader(version, code);
  const body = new BinaryReader(content.subarray(2), MESSAGE_TYPE_NAMES[type]);
  const message = decodeBody(type, body);
  body.expectEnd();
  return message;
}
