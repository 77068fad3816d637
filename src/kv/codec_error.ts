import { type BinaryReader, readWhole } from "../../protocol/binary/mod.ts";

/** Bytes that are not a valid encoded op or snapshot: the only error the decoders throw. */
export class KvCodecError extends Error {
  override name = "KvCodecError";
}

/** Reads all of `bytes` with `read`; any decoding failure surfaces as a KvCodecError. */
export function readKvBinary<T>(
  bytes: Uint8Array,
  context: string,
  read: (reader: BinaryReader) => T,
): T {
  return readWhole(bytes, context, read, (message) => new KvCodecError(message));
}
