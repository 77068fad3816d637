/**
 * Raised for every failure to decode bytes read with a BinaryReader (truncation, a length or
 * count over its maximum, invalid UTF-8, a value out of range, trailing bytes), and by codecs
 * for malformed content. The message reads "Cannot decode <context>: <detail>".
 */
export class DecodeError extends Error {
  /** True when the bytes ended before a field did (more bytes might have decoded). */
  readonly truncated: boolean;

  /** Creates a decode error with a message like "Cannot decode frame: ...". */
  constructor(message: string, options: { truncated?: boolean } = {}) {
    super(message);
    this.name = "DecodeError";
    this.truncated = options.truncated ?? false;
  }
}
