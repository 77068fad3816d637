/**
 * The node's own metrics: client port, event loop, cluster membership, Raft groups, the node log
 * (WAL) and the disk. Subsystems add theirs (locks, kv) as MetricSources. Names follow the
 * Prometheus conventions: `dsync_` prefix, base units, `_total` for counters. docs/operations.md
 * lists them.
 */
import type { NodeServices } from "../commands/node_services.ts";
import type { NodeLogStats } from "../storage/mod.ts";
import type { MetricSource } from "./metric_source.ts";

/** Client port and event-loop figures. */
export function clientPortSources(services: NodeServices): MetricSource[] {
  const stats = services.stats;
  const source = (name: string, help: string, value: () => number) => ({ name, help, value });
  return [
    source(
      "dsync_connections_received_total",
      "Client connections accepted",
      () => stats.connectionsReceived,
    ),
    source(
      "dsync_connections_rejected_total",
      "Client connections refused (max clients)",
      () => stats.connectionsRejected,
    ),
    source("dsync_connected_clients", "Connected clients", () => [...services.sessions()].length),
    source(
      "dsync_commands_processed_total",
      "Client commands processed",
      () => stats.commandsProcessed,
    ),
    source(
      "dsync_protocol_errors_total",
      "Clients dropped for malformed input",
      () => stats.protocolErrors,
    ),
    source(
      "dsync_output_limit_disconnects_total",
      "Clients dropped over the output limit",
      () => stats.outputLimitDisconnects,
    ),
    source(
      "dsync_requests_shed_total",
      "Requests refused with -LIMIT while the node was overloaded",
      () => stats.requestsShed,
    ),
    source(
      "dsync_client_reads_deferred_total",
      "Client reads deferred to a later event-loop turn (per-turn budget spent)",
      () => stats.clientReadsDeferred,
    ),
    source("dsync_net_input_bytes_total", "Bytes read from clients", () => stats.inputBytes),
    source("dsync_net_output_bytes_total", "Bytes written to clients", () => stats.outputBytes),
    source(
      "dsync_event_loop_stall_max_ms",
      "Longest event-loop stall since start (a probe late by this much)",
      () => stats.loop.stallMaxMs,
    ),
    source(
      "dsync_event_loop_stall_recent_max_ms",
      "Longest event-loop stall in the last 30 to 60 s",
      () => stats.loop.stallRecentMaxMs,
    ),
    source(
      "dsync_event_loop_stalls_total",
      "Event-loop turns late by more than a Raft tick",
      () => stats.loop.stallCount,
    ),
    source(
      "dsync_uptime_seconds",
      "Seconds since the node started",
      () => (services.nowMs() - services.startedAtMs) / 1000,
    ),
  ];
}

/** Membership, peers, the meta group and the disk. */
export function clusterSources(services: NodeServices): MetricSource[] {
  const info = () => services.cluster.info();
  const source = (name: string, help: string, value: () => number) => ({ name, help, value });
  return [
    source("dsync_cluster_members", "Members of the cluster", () => info().memberCount),
    source(
      "dsync_cluster_healthy_members",
      "Members seen up by this node",
      () => info().healthyMemberCount,
    ),
    source(
      "dsync_peer_down_marks_total",
      "Peers marked down by this node's failure detector",
      () => services.stats.peerDownMarks,
    ),
    source("dsync_raft_term", "Current Raft term of the meta group", () => info().term),
    source(
      "dsync_raft_meta_leader",
      "1 while this node leads the meta group, else 0",
      () => info().role === "leader" ? 1 : 0,
    ),
    source(
      "dsync_raft_meta_commit_index",
      "Commit index of the meta group",
      () => info().commitIndex,
    ),
    source(
      "dsync_raft_meta_applied_index",
      "Applied index of the meta group",
      () => info().appliedIndex,
    ),
    source(
      "dsync_disk_full",
      "1 while this node's disk is full, else 0",
      () => services.disk().full ? 1 : 0,
    ),
    source(
      "dsync_nospace_refusals_total",
      "Writes refused with NOSPACE because this node's disk is full",
      () => services.disk().noSpaceRefusals,
    ),
  ];
}

/** Aggregates over every Raft group hosted here (one series per group would be thousands). */
export function raftGroupSources(services: NodeServices): MetricSource[] {
  const groups = () => services.raftGroups().filter((group) => group.purpose !== "debug");
  return [
    {
      name: "dsync_raft_groups",
      help: "Raft groups hosted on this node (the meta group and slot groups)",
      value: () => groups().length,
    },
    {
      name: "dsync_raft_groups_leading",
      help: "Raft groups this node leads",
      value: () => groups().filter((group) => group.status.role === "leader").length,
    },
    {
      name: "dsync_raft_groups_leaderless",
      help: "Hosted Raft groups with no known leader",
      value: () => groups().filter((group) => group.status.leaderId === null).length,
    },
    {
      name: "dsync_raft_apply_lag_entries_max",
      help: "Largest committed-but-unapplied entry count over the hosted groups",
      value: () =>
        groups().reduce(
          (max, group) => Math.max(max, group.status.commitIndex - group.status.appliedIndex),
          0,
        ),
    },
    {
      name: "dsync_raft_log_entries",
      help: "Log entries kept (past the last snapshot) over the hosted groups",
      value: () =>
        groups().reduce(
          (sum, group) => sum + group.status.lastIndex - group.status.snapshotIndex,
          0,
        ),
    },
  ];
}

/** Metric name and help of each NodeLogStats field. */
const LOG_FIELDS: Array<[keyof NodeLogStats, string, string]> = [
  ["appendCount", "dsync_wal_appends_total", "Records submitted to the node log"],
  ["batchCount", "dsync_wal_batches_total", "Group-commit flushes (one write + one fdatasync)"],
  ["syncCount", "dsync_wal_syncs_total", "fdatasync calls on segment files"],
  ["dirSyncCount", "dsync_wal_dir_syncs_total", "fsync calls on the WAL directory"],
  ["recordsWritten", "dsync_wal_records_written_total", "Records written to segment files"],
  ["bytesWritten", "dsync_wal_written_bytes_total", "Bytes written to segment files"],
  ["writeCount", "dsync_wal_writes_total", "Write calls on segment files"],
  ["pendingAppends", "dsync_wal_pending_appends", "Records queued or in flight"],
  ["pendingBytes", "dsync_wal_pending_bytes", "Encoded bytes queued or in flight"],
  ["segmentCount", "dsync_wal_segments", "Segment files"],
  ["segmentRollCount", "dsync_wal_segment_rolls_total", "Segments started because one was full"],
  ["segmentRemovedCount", "dsync_wal_segments_removed_total", "Segments deleted once unneeded"],
  ["groupCount", "dsync_wal_groups", "Raft groups held by the node log"],
  ["cacheBytes", "dsync_wal_cache_bytes", "Entry data cached in memory"],
  ["diskReadCount", "dsync_wal_disk_reads_total", "Reads of uncached entries"],
  ["tornTailCount", "dsync_wal_torn_tails_total", "Torn tails cut at open"],
  ["rewriteCount", "dsync_wal_rewrites_total", "Groups whose live entries were rewritten"],
  ["cutBackCount", "dsync_wal_cut_backs_total", "Failed batches cut back to the synced end"],
  ["noSpaceRetryCount", "dsync_wal_nospace_retries_total", "Batches written again after ENOSPC"],
];

/** The node log's counters and gauges. */
export function logSources(stats: () => NodeLogStats): MetricSource[] {
  return LOG_FIELDS.map(([field, name, help]) => ({ name, help, value: () => stats()[field] }));
}
