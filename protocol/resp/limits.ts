/** Limits that bound the memory and work of the RESP decoders; exceeding one is a RespLimitError. */
export interface RespLimits {
  /** Largest bulk string payload accepted, in bytes (request arguments and reply bulks). */
  bulkBytesMax: number;
  /** Most elements in one request array or inline command. */
  argumentCountMax: number;
  /** Longest inline command line, in bytes, excluding its terminating `\n`. */
  inlineBytesMax: number;
  /** Deepest nesting of aggregate replies; a top-level aggregate has depth 1 (reply decoder). */
  depthMax: number;
  /** Most elements (map and attribute: entries) in one reply aggregate header (reply decoder). */
  aggregateCountMax: number;
}

/** Defaults modelled on redis: 1 MiB bulks, 1024 arguments, 64 KiB inline lines. */
export const DEFAULT_RESP_LIMITS: Readonly<RespLimits> = Object.freeze({
  bulkBytesMax: 1048576,
  argumentCountMax: 1024,
  inlineBytesMax: 65536,
  depthMax: 32,
  aggregateCountMax: 1048576,
});

/** Merges `overrides` into the defaults and validates every limit is a positive safe integer. */
export function resolveRespLimits(overrides: Partial<RespLimits> = {}): Readonly<RespLimits> {
  const limits: RespLimits = { ...DEFAULT_RESP_LIMITS };
  for (const key of Object.keys(DEFAULT_RESP_LIMITS) as Array<keyof RespLimits>) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Cannot use RESP limit ${key}: ${value} is not a positive integer`);
    }
    limits[key] = value;
  }
  return Object.freeze(limits);
}
