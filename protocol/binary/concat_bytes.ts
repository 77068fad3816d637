/**
 * `parts` joined into one array (`byteCount`: their total length, when the caller knows it). One
 * part is returned as it is, not copied.
 */
export function concatBytes(parts: readonly Uint8Array[], byteCount?: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(byteCount ?? parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
