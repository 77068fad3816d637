import type { AclUser } from "./acl_user.ts";
import { globMatch } from "./glob.ts";

/** What the permission check knows of one command: its names and categories (pure). */
export interface CommandIdentity {
  /** Lower-case top-level name, e.g. `cluster`. */
  name: string;
  /** `name|subcommand` for a subcommand, else the name. */
  fullName: string;
  /** Categories without `@`, `all` included. */
  categories: readonly string[];
}

/** True when the user's rules let it run the command: the last rule that matches decides. */
export function commandAllowed(user: AclUser, command: CommandIdentity): boolean {
  const rules = user.commandRules;
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    const target = rule.slice(1);
    const matches = target.startsWith("@")
      ? command.categories.includes(target.slice(1))
      : target === command.name || target === command.fullName;
    if (matches) return rule[0] === "+";
  }
  return false;
}

const encoder = new TextEncoder();
const patternCache = new WeakMap<AclUser, Uint8Array[]>();

/** True when every key matches one of the user's patterns. */
export function keysAllowed(user: AclUser, keys: readonly Uint8Array[]): boolean {
  if (keys.length === 0 || user.keyPatterns.includes("*")) return true;
  let patterns = patternCache.get(user);
  if (patterns === undefined) {
    patterns = user.keyPatterns.map((pattern) => encoder.encode(pattern));
    patternCache.set(user, patterns);
  }
  return keys.every((key) => patterns.some((pattern) => globMatch(pattern, key)));
}

/** True when the user may run anything on any key (the check can be skipped). */
export function unrestricted(user: AclUser): boolean {
  return user.commandRules.length === 1 && user.commandRules[0] === "+@all" &&
    user.keyPatterns.includes("*");
}
