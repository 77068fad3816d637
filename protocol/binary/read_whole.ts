import { BinaryReader } from "./binary_reader.ts";
import { DecodeError } from "./decode_error.ts";

/**
 * Runs `read` over a reader for `bytes` and requires it to consume every byte. A codec with its own
 * error type passes `wrap`: any DecodeError then surfaces as `wrap(message)`.
 */
export function readWhole<T>(
  bytes: Uint8Array,
  context: string,
  read: (reader: BinaryReader) => T,
  wrap?: (message: string) => Error,
): T {
  const reader = new BinaryReader(bytes, context);
  try {
    const value = read(reader);
    reader.expectEnd();
    return value;
  } catch (error) {
    if (wrap !== undefined && error instanceof DecodeError) throw wrap(error.message);
    throw error;
  }
}
