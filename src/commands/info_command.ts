import type { CommandCall, CommandSpec } from "./command_table.ts";
import type { NodeServices } from "./node_services.ts";
import { DSYNC_VERSION, REDIS_COMPAT_VERSION } from "../version.ts";
import { formatHostPort } from "../util/host_port.ts";

type Section = Array<[string, string | number]>;

/** Sections in the order INFO prints them. */
export const INFO_SECTION_ORDER = [
  "server",
  "clients",
  "cluster",
  "locks",
  "queues",
  "cache",
  "stats",
  "persistence",
  "security",
] as const;

const textDecoder = new TextDecoder();

/** Renders the named sections (all known ones for `all`/`everything`/`default`). */
export function renderInfo(services: NodeServices, requested: string[]): string {
  const wanted = requested.length === 0 ||
      requested.some((name) => ["all", "everything", "default"].includes(name))
    ? [...INFO_SECTION_ORDER]
    : requested;
  const extra = services.infoSections();
  const blocks: string[] = [];
  for (const name of wanted) {
    const section = builtinSection(services, name) ?? extra.get(name);
    if (section === undefined) continue;
    const title = name.charAt(0).toUpperCase() + name.slice(1);
    blocks.push(`# ${title}\r\n` + section.map(([key, value]) => `${key}:${value}\r\n`).join(""));
  }
  return blocks.join("\r\n");
}

function builtinSection(services: NodeServices, name: string): Section | undefined {
  switch (name) {
    case "server":
      return serverSection(services);
    case "clients":
      return clientsSection(services);
    case "cluster":
      return clusterSection(services);
    case "stats":
      return statsSection(services);
    default:
      return undefined;
  }
}

function serverSection(services: NodeServices): Section {
  const { config } = services;
  const uptimeSeconds = Math.floor((services.nowMs() - services.startedAtMs) / 1000);
  return [
    ["dsync_version", DSYNC_VERSION],
    ["redis_version", REDIS_COMPAT_VERSION],
    ["node_id", config.id],
    ["cluster_id", config.clusterId],
    ["process_id", Deno.pid],
    ["deno_version", Deno.version.deno],
    ["os", `${Deno.build.os} ${Deno.build.arch}`],
    ["tcp_port", config.clientAddress.port],
    ["client_address", formatHostPort(config.clientAddress)],
    ["peer_address", formatHostPort(config.peerAddress)],
    ["data_dir", config.dataDir],
    ["uptime_in_seconds", uptimeSeconds],
    ["uptime_in_days", Math.floor(uptimeSeconds / 86400)],
  ];
}

function clientsSection(services: NodeServices): Section {
  let count = 0;
  for (const _session of services.sessions()) count++;
  return [
    ["connected_clients", count],
    ["maxclients", services.config.clientCountMax],
    ["client_output_max_bytes", services.config.clientOutputBytesMax],
  ];
}

function clusterSection(services: NodeServices): Section {
  const info = services.cluster.info();
  return [
    ["cluster_enabled", 1],
    ["node_id", info.nodeId],
    ["role", info.role],
    ["term", info.term],
    ["leader_id", info.leaderId],
    ["members", info.memberCount],
    ["healthy_members", info.healthyMemberCount],
    ["registered_members", info.registeredMemberCount],
    ["commit_index", info.commitIndex],
    ["applied_index", info.appliedIndex],
  ];
}

function statsSection(services: NodeServices): Section {
  const stats = services.stats;
  return [
    ["total_connections_received", stats.connectionsReceived],
    ["rejected_connections", stats.connectionsRejected],
    ["total_commands_processed", stats.commandsProcessed],
    ["total_net_input_bytes", stats.inputBytes],
    ["total_net_output_bytes", stats.outputBytes],
    ["protocol_errors", stats.protocolErrors],
    ["client_output_limit_disconnections", stats.outputLimitDisconnects],
    ["requests_shed", stats.requestsShed],
    ["client_reads_deferred", stats.clientReadsDeferred],
    ["peer_down_marks", stats.peerDownMarks],
    ["event_loop_stall_max_ms", stats.loop.stallMaxMs],
    ["event_loop_stall_recent_max_ms", stats.loop.stallRecentMaxMs],
    ["event_loop_stalls", stats.loop.stallCount],
  ];
}

function info(call: CommandCall): void {
  const requested = call.args.slice(1).map((arg) => textDecoder.decode(arg).toLowerCase());
  call.out.verbatim("txt", renderInfo(call.services, requested), call.session.protocol);
}

/** INFO [section ...] */
export const INFO_COMMANDS: readonly CommandSpec[] = [
  {
    name: "info",
    arity: -1,
    flags: ["stale"],
    summary: "Server information and statistics",
    handler: info,
  },
];
