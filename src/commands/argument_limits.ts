/**
 * Size limits of client arguments that have one of their own (beyond the RESP bulk limit), and
 * the `-LIMIT` line that names the argument, its length and the maximum.
 */

/** CLIENT SETNAME / HELLO SETNAME name, in bytes (redis has none; every field is bounded here). */
export const CLIENT_NAME_BYTES_MAX = 256;
/** One CONFIG GET pattern, in bytes. */
export const CONFIG_PATTERN_BYTES_MAX = 256;
/** DEBUG PROPOSE payload, in bytes (well under the Raft entry limit of 1 MiB). */
export const DEBUG_PAYLOAD_BYTES_MAX = 64 * 1024;
/** DEBUG ENTRIES count: committed meta entries returned at most. */
export const COMMITTED_ENTRIES_COUNT_MAX = 1_000;

/** `LIMIT <what> length N exceeds maximum of M bytes` when `arg` is longer than `bytesMax`. */
export function lengthProblem(arg: Uint8Array, what: string, bytesMax: number): string | null {
  if (arg.length <= bytesMax) return null;
  return `LIMIT ${what} length ${arg.length} exceeds maximum of ${bytesMax} bytes`;
}
