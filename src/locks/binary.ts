import { type BinaryReader, DecodeError, readWhole } from "../../protocol/binary/mod.ts";
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
 * Runs `read` over a BinaryReader for `bytes` and checks that it read every byte; every decoding
 * failure is a DecodeError "Cannot decode <context>: ...".
 */
export function readBinary<T>(bytes: Uint8Array, context: string, read: (r: BinaryReader) => T): T {
  return readWhole(bytes, context, read);
}

/** Builds the DecodeError "Cannot decode <context>: <detail>". */
export function decodeError(context: string, detail: string): DecodeError {
  return new DecodeError(`Cannot decode ${context}: ${detail}`);
}
