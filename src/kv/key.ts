/**
 * Keys are binary (any bytes, as in Redis). A slot indexes them by a "byte string": one UTF-16
 * code unit per byte (0-255), which compares and hashes like the bytes and converts both ways
 * without loss, unlike a text decoding.
 */

/** Code units converted per String.fromCharCode call (well under any engine's argument limit). */
const CHUNK_BYTES = 4096;

/** The byte string of `bytes`. */
export function byteString(bytes: Uint8Array): string {
  if (bytes.length <= CHUNK_BYTES) return String.fromCharCode.apply(null, bytes as never);
  let text = "";
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
    const chunk = bytes.subarray(start, start + CHUNK_BYTES);
    text += String.fromCharCode.apply(null, chunk as never);
  }
  return text;
}

/** The bytes of a byte string made by byteString. */
export function bytesOfString(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
