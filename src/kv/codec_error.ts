import { BinaryReader, DecodeError } from "../../protocol/binary/mod.ts";

/** Bytes that are not a valid encoded op or snapshot: the only error the decoders throw. */
export class KvCodecError extends Error {
  override name = "KvCodecError";
}

/**
 * Runs `read` over a BinaryReader for `bytes` and requires it to consume every byte; any
 * failure surfaces as a KvCodecError "Cannot decode <context>: ...".
 */
export function readKvBinary<T>(
  bytes: Uint8Array,
  context: string,
  read: (reader: BinaryReader) => T,
): T {
  const reader = new BinaryReader(bytes, context);
  try {
    const value = read(reader);
    reader.expectEnd();
    return value;
  } catch (error) {
    if (error instanceof DecodeError) throw new KvCodecError(error.message);
    throw error;
  }
}
