import { RespLimitError, RespProtocolError } from "./errors.ts";

const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;
const LOWER_X = 120;

/** Escapes recognised after a backslash inside double quotes, as redis does. */
const ESCAPED_BYTES: ReadonlyMap<number, number> = new Map([
  [110, 10], // \n
  [114, 13], // \r
  [116, 9], // \t
  [98, 8], // \b
  [97, 7], // \a
]);

/** Blank bytes that separate inline arguments: C `isspace` (space, \t, \n, \v, \f, \r). */
function isBlank(byte: number | undefined): boolean {
  return byte === 32 || (byte !== undefined && byte >= 9 && byte <= 13);
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}

function unbalanced(): RespProtocolError {
  return new RespProtocolError("unbalanced quotes in request");
}

/**
 * Splits one inline command line (without its `\n`) into arguments like redis `sdssplitargs`.
 * Unquoted arguments are views into `line`; quoted ones are fresh arrays.
 * Returns [] for a blank line.
 */
export function splitInlineLine(line: Uint8Array, argumentCountMax: number): Uint8Array[] {
  const args: Uint8Array[] = [];
  const length = line.length;
  let pos = 0;
  // Each iteration consumes at least one byte, so this loop runs at most `length` times.
  while (pos < length) {
    while (pos < length && isBlank(line[pos])) pos++;
    if (pos >= length) break;
    const tokenStart = pos;
    let byte = line[pos];
    while (pos < length && !isBlank(byte) && byte !== DOUBLE_QUOTE && byte !== SINGLE_QUOTE) {
      byte = line[++pos];
    }
    if (pos < length && !isBlank(byte)) {
      pos = readQuotedToken(line, tokenStart, args);
    } else {
      args.push(line.subarray(tokenStart, pos));
    }
  }
  if (args.length > argumentCountMax) {
    throw new RespLimitError(
      `command has ${args.length} arguments, maximum is ${argumentCountMax}`,
    );
  }
  return args;
}

/** Reads a token containing quotes from `pos`, appends it to `args`, returns the end position. */
function readQuotedToken(line: Uint8Array, pos: number, args: Uint8Array[]): number {
  const length = line.length;
  const out = new Uint8Array(length - pos);
  let outCount = 0;
  let quote = 0; // 0 outside quotes, else the opening quote byte
  // Each iteration consumes at least one byte of `line`.
  while (pos < length) {
    const byte = line[pos] as number;
    if (quote === 0) {
      if (isBlank(byte)) break;
      if (byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) quote = byte;
      else out[outCount++] = byte;
      pos++;
      continue;
    }
    if (byte === quote) {
      // A closing quote must be followed by a blank or the end of the line.
      if (pos + 1 < length && !isBlank(line[pos + 1])) throw unbalanced();
      args.push(out.subarray(0, outCount));
      return pos + 1;
    }
    const next = line[pos + 1];
    if (quote === DOUBLE_QUOTE && byte === BACKSLASH && next !== undefined) {
      const high = next === LOWER_X ? hexValue(line[pos + 2]) : -1;
      const low = high >= 0 ? hexValue(line[pos + 3]) : -1;
      if (low >= 0) {
        out[outCount++] = high * 16 + low;
        pos += 4;
      } else {
        out[outCount++] = ESCAPED_BYTES.get(next) ?? next;
        pos += 2;
      }
    } else if (quote === SINGLE_QUOTE && byte === BACKSLASH && next === SINGLE_QUOTE) {
      out[outCount++] = SINGLE_QUOTE;
      pos += 2;
    } else {
      out[outCount++] = byte;
      pos++;
    }
  }
  if (quote !== 0) throw unbalanced();
  args.push(out.subarray(0, outCount));
  return pos;
}
