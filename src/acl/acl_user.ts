import type { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import {
  ACL_COMMAND_RULES_MAX,
  ACL_KEY_PATTERNS_MAX,
  ACL_PASSWORDS_MAX,
  PASSWORD_HASH_BYTES,
  PASSWORD_HASH_ITERATIONS_MAX,
  PASSWORD_SALT_BYTES,
} from "./limits.ts";

/** A salted PBKDF2-SHA-256 hash of one password; the password itself is never kept. */
export interface PasswordHash {
  iterations: number;
  /** PASSWORD_SALT_BYTES random bytes. */
  salt: Uint8Array;
  /** PASSWORD_HASH_BYTES derived bytes. */
  hash: Uint8Array;
}

/**
 * One ACL user as the meta group replicates it. Commands: the rules in order, over an implicit
 * `-@all`; the last rule that names a command (or one of its categories) decides. Keys: glob
 * patterns over lock names, queue names and cache keys (`*` for allkeys).
 */
export interface AclUser {
  name: string;
  enabled: boolean;
  /** Any password is accepted. */
  nopass: boolean;
  passwords: PasswordHash[];
  /** `+name`, `-name`, `+@category`, `-@category` (lower case), at most ACL_COMMAND_RULES_MAX. */
  commandRules: string[];
  keyPatterns: string[];
  /** Meta log index of the entry that last set the user; 0 for the implicit default. */
  revision: number;
}

/** The name of the user every connection starts as. */
export const DEFAULT_USER = "default";

/** A new user, as Redis makes one: off, no passwords, no commands, no keys. */
export function newUser(name: string): AclUser {
  return {
    name,
    enabled: false,
    nopass: false,
    passwords: [],
    commandRules: [],
    keyPatterns: [],
    revision: 0,
  };
}

/**
 * The `default` user while the cluster has not replicated one: on, every command and key; without
 * a password when the node has no --requirepass (which is then its password, kept on the node).
 */
export function implicitDefaultUser(hasRequirePass: boolean): AclUser {
  return {
    name: DEFAULT_USER,
    enabled: true,
    nopass: !hasRequirePass,
    passwords: [],
    commandRules: ["+@all"],
    keyPatterns: ["*"],
    revision: 0,
  };
}

/** The user's rules as ACL LIST shows them (never a password or a hash). */
export function describeUser(user: AclUser): string {
  const parts = ["user", user.name, user.enabled ? "on" : "off"];
  if (user.nopass) parts.push("nopass");
  else if (user.passwords.length === 0) parts.push("resetpass");
  parts.push(...user.keyPatterns.map((pattern) => `~${pattern}`));
  if (user.keyPatterns.length === 0) parts.push("resetkeys");
  if (user.commandRules[0] !== "+@all") parts.push("-@all");
  parts.push(...user.commandRules);
  return parts.join(" ");
}

/** Writes a user record (acl_machine.ts entries and snapshot). */
export function writeUser(writer: BinaryWriter, user: AclUser): void {
  writer.u16String(user.name).u8(user.enabled ? 1 : 0).u8(user.nopass ? 1 : 0).u53(user.revision);
  writer.u32(user.passwords.length);
  for (const password of user.passwords) {
    writer.u32(password.iterations).u32Bytes(password.salt).u32Bytes(password.hash);
  }
  writer.u32(user.commandRules.length);
  for (const rule of user.commandRules) writer.u16String(rule);
  writer.u32(user.keyPatterns.length);
  for (const pattern of user.keyPatterns) writer.u16String(pattern);
}

/** Reads a user record; DecodeError on malformed or out-of-limit bytes. */
export function readUser(reader: BinaryReader): AclUser {
  const name = reader.u16String();
  const enabled = reader.u8() === 1;
  const nopass = reader.u8() === 1;
  const revision = reader.u53();
  const passwords = reader.list(
    (r) => {
      const iterations = r.u32();
      const salt = r.u32Bytes(PASSWORD_SALT_BYTES);
      const hash = r.u32Bytes(PASSWORD_HASH_BYTES);
      if (iterations < 1 || iterations > PASSWORD_HASH_ITERATIONS_MAX) {
        throw r.error(`password hash iterations ${iterations} out of range`);
      }
      if (salt.length !== PASSWORD_SALT_BYTES || hash.length !== PASSWORD_HASH_BYTES) {
        throw r.error("password hash of the wrong size");
      }
      return { iterations, salt, hash };
    },
    ACL_PASSWORDS_MAX,
    12,
  );
  const commandRules = reader.list((r) => r.u16String(), ACL_COMMAND_RULES_MAX, 2);
  const keyPatterns = reader.list((r) => r.u16String(), ACL_KEY_PATTERNS_MAX, 2);
  return { name, enabled, nopass, passwords, commandRules, keyPatterns, revision };
}
