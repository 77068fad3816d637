import type { CommandHandler, CommandSpec } from "./command_table.ts";

/**
 * The spec of a key command (GET, SET, DEL, ...; ACL category `@cache`): keys from argument 1 to
 * `lastKey` (negative: from the end) every `keyStep`; a write, or a fast read.
 */
export function keyCommandSpec(
  name: string,
  arity: number,
  write: boolean,
  summary: string,
  lastKey: number,
  handler: CommandHandler,
  keyStep = 1,
): CommandSpec {
  return {
    name,
    arity,
    flags: write ? ["write"] : ["readonly", "fast"],
    categories: ["cache"],
    summary,
    firstKey: 1,
    lastKey,
    keyStep,
    handler,
  };
}
