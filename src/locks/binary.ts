import { BinaryReader, FrameError } from "../../protocol/peer/mod.ts";
import type { LockMode } from "./types.ts";

/** Wire codes of lock modes (0 is "none" where a mode may be absent). */
export const MODE_CODES: Readonly<Record<LockMode, number>> = { shared: 1, exclusive: 2 };

/** The mode of a wire code, or undefined for an unknown code. */
export function modeOfCode(code: number): LockMode | undefined {
  if (code === MODE_CODES.shared) return "shared";
  if (code === MODE_CODES.exclusive) return "exclusive";
  return undefined;
}

/**
 * Runs `read` over a BinaryReader for `bytes`; every decoding failure surfaces as a plain Error
 * "Cannot decode <context>: ..." (the reader's FrameError is re-thrown as such).
 */
export function readBinary<T>(bytes: Uint8Array, context: string, read: (r: BinaryReader) => T): T {
  const reader = new BinaryReader(bytes, context);
  try {
    const value = read(reader);
    reader.expectEnd();
    return value;
  } catch (error) {
    if (error instanceof FrameError) throw new Error(error.message);
    throw error;
  }
}

/** Builds the Error "Cannot decode <context>: <detail>". */
export function decodeError(context: string, detail: string): Error {
  return new Error(`Cannot decode ${context}: ${detail}`);
}
