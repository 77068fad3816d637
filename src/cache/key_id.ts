/** A map key for binary key bytes: one UTF-16 code unit per byte (exact, reversible). */
export function keyIdOf(key: Uint8Array): string {
  // apply takes an array-like: short keys need no copy into an Array.
  if (key.length <= 4096) return String.fromCharCode.apply(null, key as unknown as number[]);
  let id = "";
  for (let i = 0; i < key.length; i += 4096) {
    id += String.fromCharCode.apply(null, Array.from(key.subarray(i, i + 4096)));
  }
  return id;
}

/** Whether two byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
