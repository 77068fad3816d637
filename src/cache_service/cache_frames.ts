import {
  CACHE_PEER_CODE_FIRST,
  CACHE_PEER_TYPES,
  MESSAGE_TYPE_CODES,
  type PeerMessage,
  type PeerMessageOf,
} from "../../protocol/peer/mod.ts";
import { BinaryReader, BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import {
  CACHE_MESSAGE_CODES,
  CacheCodecError,
  type CacheMessage,
  decodeCacheMessage,
  encodeCacheMessage,
  writeCacheMessage,
} from "../cache/mod.ts";
import type { CachePeerType } from "../../protocol/peer/mod.ts";

/** A peer frame carrying a cache message, or a CacheBundle of several. */
export type CacheFrame = PeerMessageOf<CachePeerType>;

/** Version byte of a CacheBundle payload. */
export const CACHE_BUNDLE_VERSION = 1;
/** Most messages one CacheBundle carries (a decoder refuses more). */
export const CACHE_BUNDLE_MESSAGES_MAX = 4096;
/**
 * A bundle being filled is closed once its payload reaches this many bytes; the next message
 * starts another frame (so one bundle stays far below the peer frame limit unless a single
 * message is that large, and then it travels alone, as its own frame).
 */
export const CACHE_BUNDLE_BYTES_TARGET = 256 * 1024;
/** Bytes of a bundle's header: version (u8) and count (u32). */
const BUNDLE_HEADER_BYTES = 5;
/** The smallest encoded cache message: version, code, slot (u32). */
const MESSAGE_BYTES_MIN = 6;

/** The peer frame of a cache message: its type code is the cache message's own code. */
export function cacheFrameOf(message: CacheMessage): CacheFrame {
  const type = CACHE_PEER_TYPES[CACHE_MESSAGE_CODES[message.type] - CACHE_PEER_CODE_FIRST]!;
  return { type, payload: encodeCacheMessage(message) };
}

/** One frame for a node and the messages it carries (in order). */
export interface OutgoingCacheFrame {
  frame: CacheFrame;
  messages: CacheMessage[];
}

/**
 * The frames that carry `messages` (in order) to one node: a lone message as its own frame, more
 * as CacheBundles (u8 version, u32 count, then per message a u32 length and its encoding), each
 * closed at CACHE_BUNDLE_BYTES_TARGET or CACHE_BUNDLE_MESSAGES_MAX. A frame per message costs
 * its header, an allocation, a dispatch and a handler turn on both ends; the write-backs of one
 * flush and the answers to them are hundreds of messages to the same node at once.
 */
export function cacheFramesOf(messages: readonly CacheMessage[]): OutgoingCacheFrame[] {
  const frames: OutgoingCacheFrame[] = [];
  let at = 0;
  while (at < messages.length) {
    const writer = new BinaryWriter(1024);
    writer.u8(CACHE_BUNDLE_VERSION).u32(0);
    const start = at;
    while (
      at < messages.length && at - start < CACHE_BUNDLE_MESSAGES_MAX &&
      writer.lengthBytes < CACHE_BUNDLE_BYTES_TARGET
    ) {
      const lengthAt = writer.lengthBytes;
      writer.u32(0);
      writeCacheMessage(writer, messages[at]!);
      writer.patchU32(lengthAt, writer.lengthBytes - lengthAt - 4);
      at++;
    }
    const carried = messages.slice(start, at);
    if (carried.length === 1) {
      frames.push({ frame: cacheFrameOf(carried[0]!), messages: carried });
      continue;
    }
    writer.patchU32(1, carried.length);
    frames.push({ frame: { type: "cacheBundle", payload: writer.view() }, messages: carried });
  }
  return frames;
}

/**
 * The cache messages a frame carries (one, or a bundle's in order), or null when its payload is
 * not what its type says: a message that does not decode, whose code differs from the frame's,
 * or a bundle that is malformed or holds a bundle. A bad bundle is refused whole.
 */
export function cacheMessagesOf(frame: PeerMessage): CacheMessage[] | null {
  if (!("payload" in frame) || frame.type === "raft") return null;
  if (frame.type !== "cacheBundle") {
    const message = decodeOrNull(frame.payload);
    if (message === null) return null;
    return CACHE_MESSAGE_CODES[message.type] === MESSAGE_TYPE_CODES[frame.type] ? [message] : null;
  }
  const reader = new BinaryReader(frame.payload, "cache bundle");
  try {
    const version = reader.u8();
    if (version !== CACHE_BUNDLE_VERSION) return null;
    const count = reader.u32();
    const fits = count * (4 + MESSAGE_BYTES_MIN) <= frame.payload.length - BUNDLE_HEADER_BYTES;
    if (count < 1 || count > CACHE_BUNDLE_MESSAGES_MAX || !fits) return null;
    const messages: CacheMessage[] = [];
    for (let index = 0; index < count; index++) {
      const message = decodeOrNull(reader.u32BytesView());
      if (message === null) return null;
      messages.push(message);
    }
    reader.expectEnd();
    return messages;
  } catch (error) {
    if (error instanceof DecodeError) return null;
    throw error;
  }
}

function decodeOrNull(bytes: Uint8Array): CacheMessage | null {
  try {
    return decodeCacheMessage(bytes);
  } catch (error) {
    if (error instanceof CacheCodecError) return null;
    throw error;
  }
}
