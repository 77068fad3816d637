import type { CommandCall, CommandSpec } from "./command_table.ts";
import { newServerStats, type NodeServices, type ServerStats } from "./node_services.ts";
import { CONFIG_PATTERN_BYTES_MAX, lengthProblem } from "./argument_limits.ts";

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

/**
 * Case-insensitive glob match with `*` (any run) and `?` (one character), for CONFIG GET
 * patterns. Greedy with one backtrack point (the last `*`): O(pattern x text) steps whatever the
 * pattern, so no client pattern can stall the node.
 */
export function globMatches(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let starAt = -1;
  let starText = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === "*") {
      starAt = pi++;
      starText = ti;
    } else if (starAt >= 0) {
      pi = starAt + 1;
      ti = ++starText;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

function configGet(call: CommandCall): void {
  for (const pattern of call.args.slice(2)) {
    const problem = lengthProblem(pattern, "CONFIG GET pattern", CONFIG_PATTERN_BYTES_MAX);
    if (problem !== null) return call.out.error(problem);
  }
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

/** CONFIG RESETSTAT: like redis, zeroes INFO stats (here including the stall figures). */
function configResetStat(call: CommandCall): void {
  const stats = call.services.stats;
  const fresh = newServerStats();
  for (const key of Object.keys(fresh) as Array<keyof ServerStats>) {
    if (key !== "loop") stats[key] = fresh[key] as never;
  }
  stats.loop.stallMaxMs = 0;
  stats.loop.stallRecentMaxMs = 0;
  stats.loop.stallCount = 0;
  call.out.simple("OK");
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
    {
      name: "resetstat",
      arity: 2,
      flags: ["admin"],
      summary: "Zero the INFO stats counters and the longest event-loop stall",
      handler: configResetStat,
    },
  ],
}];
