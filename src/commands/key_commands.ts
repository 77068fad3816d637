import type { CommandHandler, CommandSpec } from "./command_table.ts";

/** The key commands, served by the key-value store or by the cache in front of it. */
export type KeyCommandName = "get" | "set" | "del" | "exists" | "mget" | "mset" | "pttl";

/**
 * One key command: arity as redis counts it (negative: at least), keys from argument 1 to
 * `lastKey` (negative: from the end) every `keyStep`; a write, or a fast read.
 */
interface KeyCommandShape {
  name: KeyCommandName;
  arity: number;
  write: boolean;
  lastKey: number;
  keyStep: number;
  summary: string;
}

/** GET, SET, DEL, EXISTS, MGET, MSET, PTTL, as docs/commands.md has them. */
const KEY_COMMANDS: readonly KeyCommandShape[] = [
  { name: "get", arity: 2, write: false, lastKey: 1, keyStep: 1, summary: "Value of a key" },
  {
    name: "set",
    arity: -3,
    write: true,
    lastKey: 1,
    keyStep: 1,
    summary: "Sets a key's value, with EX/PX and NX/XX",
  },
  {
    name: "del",
    arity: -2,
    write: true,
    lastKey: -1,
    keyStep: 1,
    summary: "Deletes keys; the number removed",
  },
  {
    name: "exists",
    arity: -2,
    write: false,
    lastKey: -1,
    keyStep: 1,
    summary: "How many of the keys exist",
  },
  { name: "mget", arity: -2, write: false, lastKey: -1, keyStep: 1, summary: "Values of keys" },
  { name: "mset", arity: -3, write: true, lastKey: -1, keyStep: 2, summary: "Sets keys" },
  {
    name: "pttl",
    arity: 2,
    write: false,
    lastKey: 1,
    keyStep: 1,
    summary: "Milliseconds a key has left (-1 none, -2 missing)",
  },
];

/**
 * The specs of the key commands (ACL category `@cache`, run where the client is), each handled
 * by `handlerOf(name)`; `notes` adds what differs in one front end to a summary, in parentheses.
 */
export function keyCommandSpecs(
  handlerOf: (name: KeyCommandName) => CommandHandler,
  notes: Partial<Record<KeyCommandName, string>> = {},
): CommandSpec[] {
  return KEY_COMMANDS.map(({ name, arity, write, lastKey, keyStep, summary }) => {
    const note = notes[name];
    return {
      name,
      arity,
      flags: write ? ["write"] : ["readonly", "fast"],
      categories: ["cache"],
      summary: note === undefined ? summary : `${summary} (${note})`,
      firstKey: 1,
      lastKey,
      keyStep,
      handler: handlerOf(name),
    };
  });
}
