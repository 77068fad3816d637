import type { CommandSpec } from "../commands/command_table.ts";
import type { CommandIdentity } from "./permissions.ts";

export { keysOf } from "../commands/key_args.ts";

/** Categories a spec's flags put it in. */
const FLAG_CATEGORIES: ReadonlyArray<[string, string]> = [
  ["write", "write"],
  ["readonly", "read"],
  ["admin", "admin"],
];

/** The names and categories the ACL sees of `spec` (a subcommand of `parent`, else null). */
export function identityOf(spec: CommandSpec, parent: CommandSpec | null): CommandIdentity {
  const categories = new Set<string>(["all"]);
  for (const category of parent?.categories ?? []) categories.add(category);
  for (const category of spec.categories ?? []) categories.add(category);
  for (const [flag, category] of FLAG_CATEGORIES) {
    if ((spec.flags as readonly string[]).includes(flag)) categories.add(category);
  }
  const name = parent?.name ?? spec.name;
  return {
    name,
    fullName: parent === null ? name : `${name}|${spec.name}`,
    categories: [...categories],
  };
}
