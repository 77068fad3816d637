import { RespProtocolError } from "./errors.ts";

/** Strings up to this many bytes are decoded by a char-code loop when they are pure ASCII. */
const ASCII_DECODE_BYTES_MAX = 64;
/** Most digits in a RESP integer; 16 digits cover every safe integer. */
const INTEGER_DIGITS_MAX = 16;

const DECODER = new TextDecoder();
const DOUBLE_SYNTAX = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Decodes bytes [from, to) as UTF-8 (invalid sequences become U+FFFD). */
export function decodeText(data: Uint8Array, from: number, to: number): string {
  if (to - from <= ASCII_DECODE_BYTES_MAX) {
    let text = "";
    for (let i = from; i < to; i++) {
      const byte = data[i] as number;
      if (byte >= 0x80) return DECODER.decode(data.subarray(from, to));
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return DECODER.decode(data.subarray(from, to));
}

/**
 * Parses bytes [from, to) as an optionally signed decimal safe integer; NaN when they are not
 * one. `-0` gives 0.
 */
export function parseInteger(data: Uint8Array, from: number, to: number): number {
  let pos = from;
  const sign = data[pos];
  if (sign === 45 || sign === 43) pos++; // - or +
  if (pos === to || to - pos > INTEGER_DIGITS_MAX) return NaN;
  let value = 0;
  for (; pos < to; pos++) {
    const digit = (data[pos] as number) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  if (value > Number.MAX_SAFE_INTEGER) return NaN;
  return sign === 45 ? 0 - value : value;
}

/** Parses a RESP3 double: decimal with optional exponent, or `inf`, `-inf`, `nan`. */
export function parseDouble(text: string): number {
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan" || lower === "-nan" || lower === "+nan") return NaN;
  if (!DOUBLE_SYNTAX.test(text)) throw new RespProtocolError("invalid double");
  return Number(text);
}

/** Formats a double the way RESP3 writes it: `inf`, `-inf`, `nan`, `-0`, else shortest form. */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0";
  return String(value);
}
