import type { CommandCall, CommandSpec } from "./command_table.ts";
import type { NodeServices } from "./node_services.ts";

const textDecoder = new TextDecoder();

/** Read-only settings shown by CONFIG GET (tools such as redis-benchmark ask for some). */
function settings(services: NodeServices): Array<[string, string]> {
  const config = services.config;
  return [
    ["maxclients", String(config.clientCountMax)],
    ["proto-max-bulk-len", String(config.bulkBytesMax)],
    ["client-output-max-bytes", String(config.clientOutputBytesMax)],
    ["save", ""],
    ["appendonly", "no"],
    ["appendfsync", "always"],
    ["dir", config.dataDir],
  ];
}

/** Glob match with `*` and `?` (CONFIG GET patterns). */
export function globMatches(pattern: string, text: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${source}$`, "i").test(text);
}

function configGet(call: CommandCall): void {
  const patterns = call.args.slice(2).map((arg) => textDecoder.decode(arg));
  const matches = settings(call.services).filter(([name]) =>
    patterns.some((pattern) => globMatches(pattern, name))
  );
  call.out.mapHeader(matches.length, call.session.protocol);
  for (const [name, value] of matches) {
    call.out.bulk(name);
    call.out.bulk(value);
  }
}

function configSet(call: CommandCall): void {
  call.out.error("ERR CONFIG SET is not supported: restart the node with the new option");
}

/** CONFIG GET pattern... (read-only view of the node's settings). */
export const CONFIG_COMMANDS: readonly CommandSpec[] = [{
  name: "config",
  arity: -2,
  flags: ["admin", "stale"],
  summary: "Read the node's settings",
  subcommands: [
    {
      name: "get",
      arity: -3,
      flags: ["admin"],
      summary: "Settings matching patterns",
      handler: configGet,
    },
    { name: "set", arity: -4, flags: ["admin"], summary: "Not supported", handler: configSet },
  ],
}];
