/** Byte values of the RESP syntax characters. */
export const CR = 13;
/** `\n`. */
export const LF = 10;
/** `*`, a RESP array header. */
export const ASTERISK = 42;
/** `$`, a RESP bulk string header. */
export const DOLLAR = 36;
/** ASCII space. */
export const SPACE = 32;

/** Renders a byte for an error message: printable ASCII as itself, others as `\xNN`. */
export function describeByte(byte: number): string {
  if (byte >= 0x20 && byte <= 0x7e) return String.fromCharCode(byte);
  return `\\x${hexByte(byte)}`;
}

/** Two lower-case hex digits for a byte, e.g. `0a`. */
export function hexByte(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
