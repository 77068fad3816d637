import type { PasswordHash } from "./acl_user.ts";
import { PASSWORD_HASH_BYTES, PASSWORD_HASH_ITERATIONS, PASSWORD_SALT_BYTES } from "./limits.ts";
import type { PasswordHasher } from "./acl_rules.ts";

const encoder = new TextEncoder();

/** Derives PBKDF2-SHA-256 bytes (WebCrypto; runs off the event loop). */
async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    PASSWORD_HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/** A new salted hash of `password` (random salt). */
export async function hashPassword(
  password: string,
  iterations = PASSWORD_HASH_ITERATIONS,
): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(PASSWORD_SALT_BYTES));
  return { iterations, salt, hash: await derive(password, salt, iterations) };
}

/** True when `password` hashes to `stored` (compared in constant time). */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const derived = await derive(password, stored.salt, stored.iterations);
  let diff = derived.length ^ stored.hash.length;
  for (let i = 0; i < derived.length; i++) diff |= derived[i]! ^ (stored.hash[i] ?? 0);
  return diff === 0;
}

/** The WebCrypto hasher; `iterations` lower only in tests. */
export function pbkdf2Hasher(iterations = PASSWORD_HASH_ITERATIONS): PasswordHasher {
  return { hash: (password) => hashPassword(password, iterations), verify: verifyPassword };
}
