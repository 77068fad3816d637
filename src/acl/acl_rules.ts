import { lengthProblem } from "../commands/argument_limits.ts";
import { type AclUser, newUser, type PasswordHash } from "./acl_user.ts";
import {
  ACL_COMMAND_RULES_MAX,
  ACL_KEY_PATTERN_BYTES_MAX,
  ACL_KEY_PATTERNS_MAX,
  ACL_PASSWORD_BYTES_MAX,
  ACL_PASSWORDS_MAX,
} from "./limits.ts";

/** The categories of the contract (section Security), without the `@`. */
export const ACL_CATEGORIES = [
  "lock",
  "queue",
  "cache",
  "read",
  "write",
  "admin",
  "connection",
  "all",
] as const;

/** One ACL SETUSER rule, parsed (pure). Passwords stay in memory only until they are hashed. */
export type AclRule =
  | { kind: "on" | "off" | "nopass" | "resetpass" | "allkeys" | "resetkeys" | "reset" }
  | { kind: "allcommands" | "nocommands" }
  | { kind: "addPassword" | "removePassword"; password: string }
  | { kind: "command"; allow: boolean; name: string }
  | { kind: "category"; allow: boolean; category: string }
  | { kind: "keys"; pattern: string };

const SIMPLE_RULES = new Set([
  "on",
  "off",
  "nopass",
  "resetpass",
  "allkeys",
  "resetkeys",
  "reset",
  "allcommands",
  "nocommands",
]);
const encoder = new TextEncoder();

/**
 * Parses one rule; a string is the `-ERR` line to send. `commandKnown` says whether a name is a
 * command (or `command|subcommand`) of the table. An error never repeats a password.
 */
export function parseRule(text: string, commandKnown: (name: string) => boolean): AclRule | string {
  const lower = text.toLowerCase();
  if (SIMPLE_RULES.has(lower)) return { kind: lower } as AclRule;
  const head = text[0];
  const rest = text.slice(1);
  if (head === ">" || head === "<") {
    const tooLong = lengthProblem(encoder.encode(rest), "password", ACL_PASSWORD_BYTES_MAX);
    if (tooLong !== null) return tooLong;
    return { kind: head === ">" ? "addPassword" : "removePassword", password: rest };
  }
  if (head === "~") {
    const tooLong = lengthProblem(encoder.encode(rest), "key pattern", ACL_KEY_PATTERN_BYTES_MAX);
    if (tooLong !== null) return tooLong;
    if (rest === "") return modifierError(text, "Syntax error");
    return { kind: "keys", pattern: rest };
  }
  if (head === "+" || head === "-") {
    const allow = head === "+";
    const name = rest.toLowerCase();
    if (name.startsWith("@")) {
      const category = name.slice(1);
      if (!(ACL_CATEGORIES as readonly string[]).includes(category)) {
        return modifierError(text, "Unknown command or category name in ACL");
      }
      return { kind: "category", allow, category };
    }
    if (!commandKnown(name)) {
      return modifierError(text, "Unknown command or category name in ACL");
    }
    return { kind: "command", allow, name };
  }
  return modifierError(text, "Syntax error");
}

function modifierError(rule: string, reason: string): string {
  const shown = rule.length > 64 ? `${rule.slice(0, 64)}...` : rule;
  return `ERR Error in ACL SETUSER modifier '${shown.replace(/[\r\n]/g, " ")}': ${reason}`;
}

/** How rules reach passwords: hash a new one, or test one against a stored hash. */
export interface PasswordHasher {
  hash(password: string): Promise<PasswordHash>;
  verify(password: string, stored: PasswordHash): Promise<boolean>;
}

/**
 * `user` (or a new user) with `rules` applied in order; a string is the `-ERR` line to send.
 * Only password rules wait (on the hasher); everything else is pure.
 */
export async function applyRules(
  user: AclUser | undefined,
  name: string,
  rules: readonly AclRule[],
  hasher: PasswordHasher,
): Promise<AclUser | string> {
  let next: AclUser = user === undefined ? newUser(name) : cloneUser(user);
  for (const rule of rules) {
    if (rule.kind === "addPassword") {
      if (next.passwords.length >= ACL_PASSWORDS_MAX) {
        return `LIMIT a user has at most ${ACL_PASSWORDS_MAX} passwords`;
      }
      next.passwords.push(await hasher.hash(rule.password));
      next.nopass = false;
    } else if (rule.kind === "removePassword") {
      const kept: PasswordHash[] = [];
      for (const stored of next.passwords) {
        if (!await hasher.verify(rule.password, stored)) kept.push(stored);
      }
      if (kept.length === next.passwords.length) {
        return "ERR Error in ACL SETUSER modifier '<...>': no such password";
      }
      next.passwords = kept;
    } else {
      const applied = applySimpleRule(next, rule);
      if (typeof applied === "string") return applied;
      next = applied;
    }
  }
  return next;
}

/** Applies a rule that involves no password hashing (pure). */
export function applySimpleRule(user: AclUser, rule: AclRule): AclUser | string {
  switch (rule.kind) {
    case "on":
    case "off":
      return { ...user, enabled: rule.kind === "on" };
    case "nopass":
      return { ...user, nopass: true, passwords: [] };
    case "resetpass":
      return { ...user, nopass: false, passwords: [] };
    case "allkeys":
      return { ...user, keyPatterns: ["*"] };
    case "resetkeys":
      return { ...user, keyPatterns: [] };
    case "reset":
      return { ...newUser(user.name), revision: user.revision };
    case "allcommands":
      return { ...user, commandRules: ["+@all"] };
    case "nocommands":
      return { ...user, commandRules: [] };
    case "keys":
      return addKeyPattern(user, rule.pattern);
    case "command":
    case "category":
      return addCommandRule(user, rule);
    default:
      throw new Error(`rule ${rule.kind} needs the password hasher`);
  }
}

function addKeyPattern(user: AclUser, pattern: string): AclUser | string {
  if (user.keyPatterns.includes("*") || user.keyPatterns.includes(pattern)) return user;
  if (pattern === "*") return { ...user, keyPatterns: ["*"] };
  if (user.keyPatterns.length >= ACL_KEY_PATTERNS_MAX) {
    return `LIMIT a user has at most ${ACL_KEY_PATTERNS_MAX} key patterns`;
  }
  return { ...user, keyPatterns: [...user.keyPatterns, pattern] };
}

function addCommandRule(
  user: AclUser,
  rule: Extract<AclRule, { kind: "command" | "category" }>,
): AclUser | string {
  const sign = rule.allow ? "+" : "-";
  const text = rule.kind === "category" ? `${sign}@${rule.category}` : `${sign}${rule.name}`;
  // `+@all` and `-@all` decide everything before them: they restart the list.
  if (rule.kind === "category" && rule.category === "all") {
    return { ...user, commandRules: rule.allow ? [text] : [] };
  }
  const rules = user.commandRules.filter((existing) => existing.slice(1) !== text.slice(1));
  if (rules.length >= ACL_COMMAND_RULES_MAX) {
    return `LIMIT a user has at most ${ACL_COMMAND_RULES_MAX} command rules`;
  }
  return { ...user, commandRules: [...rules, text] };
}

function cloneUser(user: AclUser): AclUser {
  return {
    ...user,
    passwords: [...user.passwords],
    commandRules: [...user.commandRules],
    keyPatterns: [...user.keyPatterns],
  };
}
