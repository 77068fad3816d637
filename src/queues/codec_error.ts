import { type BinaryReader, readWhole } from "../../protocol/binary/mod.ts";

/** Bytes that are not a valid encoded queue op or snapshot: the only error the decoders throw. */
export class QueueCodecError extends Error {
  override name = "QueueCodecError";
}

/** Reads all of `bytes` with `read`; any decoding failure surfaces as a QueueCodecError. */
export function readQueueBinary<T>(
  bytes: Uint8Array,
  context: string,
  read: (reader: BinaryReader) => T,
): T {
  return readWhole(bytes, context, read, (message) => new QueueCodecError(message));
}
