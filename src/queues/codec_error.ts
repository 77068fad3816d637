import { BinaryReader, DecodeError } from "../../protocol/binary/mod.ts";

/** Bytes that are not a valid encoded queue op or snapshot: the only error the decoders throw. */
export class QueueCodecError extends Error {
  override name = "QueueCodecError";
}

/**
 * Runs `read` over a BinaryReader for `bytes` and requires it to consume every byte; any
 * failure surfaces as a QueueCodecError "Cannot decode <context>: ...".
 */
export function readQueueBinary<T>(
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
    if (error instanceof DecodeError) throw new QueueCodecError(error.message);
    throw error;
  }
}
