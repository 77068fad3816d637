import {
  RespLimitError,
  type RespLimits,
  RespProtocolError,
  RespReplyDecoder,
  RespRequestDecoder,
  type RespValue,
} from "../../../protocol/resp/mod.ts";

const ENCODER = new TextEncoder();

/** Fixed fast-check seed: property tests explore the same cases on every run (deterministic). */
export const PROPERTY_SEED = 0x5e5d;

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/** Bytes as a latin1 string: binary-safe and readable in assertion diffs. */
export function latin1(data: Uint8Array): string {
  let text = "";
  for (const byte of data) text += String.fromCharCode(byte);
  return text;
}

/** Bytes of a latin1 string (each char code is one byte). */
export function fromLatin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

/** What a decoder produced from an input: items in order, then an error or leftover bytes. */
export interface Outcome<T> {
  items: T[];
  error?: string;
  bufferedByteCount?: number;
}

/** How chunks reach a request decoder. */
export type FeedMode = "push" | "writable";

/** Splits `data` at cut points `cut % (data.length + 1)` (any order, duplicates allowed). */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let previous = 0;
  for (const point of points) {
    chunks.push(data.subarray(previous, point));
    previous = point;
  }
  chunks.push(data.subarray(previous));
  return chunks;
}

/** Every byte as its own chunk. */
export function oneByteChunks(data: Uint8Array): Uint8Array[] {
  return Array.from(data, (_, i) => data.subarray(i, i + 1));
}

function describeError(error: unknown): string {
  if (error instanceof RespProtocolError || error instanceof RespLimitError) {
    return `${error.name}: ${error.message}`;
  }
  throw error;
}

/** Feeds chunks to a fresh request decoder, draining after each; commands as latin1 strings. */
export function decodeRequests(
  chunks: readonly Uint8Array[],
  mode: FeedMode = "push",
  limits: Partial<RespLimits> = {},
): Outcome<string[]> {
  const decoder = new RespRequestDecoder(limits);
  const items: string[][] = [];
  try {
    for (const chunk of chunks) {
      if (mode === "push") {
        decoder.push(chunk);
      } else {
        const region = decoder.writable(Math.max(1, chunk.length));
        region.set(chunk);
        decoder.commit(chunk.length);
      }
      // Each command consumes at least one byte, so this bound is never the reason to stop.
      const passMax = decoder.bufferedByteCount + 1;
      for (let pass = 0; pass < passMax; pass++) {
        const command = decoder.next();
        if (command === undefined) break;
        items.push(command.map(latin1));
      }
    }
  } catch (error) {
    return { items, error: describeError(error) };
  }
  return { items, bufferedByteCount: decoder.bufferedByteCount };
}

/** Feeds chunks to a fresh reply decoder, draining after each. */
export function decodeReplies(
  chunks: readonly Uint8Array[],
  limits: Partial<RespLimits> = {},
): Outcome<RespValue> {
  const decoder = new RespReplyDecoder(limits);
  const items: RespValue[] = [];
  try {
    for (const chunk of chunks) {
      decoder.push(chunk);
      const passMax = decoder.bufferedByteCount + 1;
      for (let pass = 0; pass < passMax; pass++) {
        const value = decoder.next();
        if (value === undefined) break;
        items.push(value);
      }
    }
  } catch (error) {
    return { items, error: describeError(error) };
  }
  return { items, bufferedByteCount: decoder.bufferedByteCount };
}
