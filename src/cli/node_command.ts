import { Command } from "commander";
import {
  buildNodeConfig,
  BULK_BYTES_LIMIT,
  NODE_DEFAULTS,
  type RawNodeOptions,
} from "../config/node_config.ts";
import { Logger, stderrSink } from "../log/logger.ts";
import { DsyncNode } from "../node/node.ts";
import { envOption } from "./env_option.ts";
import { type ClusterDiscovery, discoverCluster, joinCluster } from "../node/join.ts";
import { formatHostPort } from "../util/host_port.ts";

/** `dsync node`: runs one node in the foreground until SIGTERM/SIGINT. */
export function nodeCommand(): Command {
  return new Command("node")
    .description("Run one dsync node")
    .addOption(envOption("--id <id>", "this node's id, unique in the cluster"))
    .addOption(envOption("--client <host:port>", "client (RESP) address"))
    .addOption(envOption("--peer <host:port>", "peer (node-to-node) address"))
    .addOption(envOption("--peers <list>", "initial members: ID=HOST:PORT,... including self"))
    .addOption(
      envOption("--join <host:port>", "join a running cluster through a member's client address"),
    )
    .addOption(envOption("--data <dir>", "data directory (nothing is written outside it)"))
    .addOption(envOption("--cluster-id <id>", "cluster identity (default: derived from --peers)"))
    .addOption(
      envOption("--requirepass <password>", "the password of the ACL user 'default' (AUTH)"),
    )
    .addOption(envOption("--tls-cert <file>", "PEM certificate for the client port"))
    .addOption(envOption("--tls-key <file>", "PEM private key for the client port"))
    .addOption(
      envOption("--tls-ca <file>", "PEM CA: peer links require certificates from it (mutual TLS)"),
    )
    .addOption(
      envOption("--tls-client-auth", "the client port requires client certificates from --tls-ca"),
    )
    .addOption(envOption("--metrics <host:port>", "serve Prometheus /metrics and /health"))
    .addOption(
      envOption("--audit-log <file>", "append JSON audit records here (reopened on SIGHUP)"),
    )
    .addOption(
      envOption("--audit <scope>", "changes (auth, ACL, membership) | all (also writes)"),
    )
    .addOption(envOption("--audit-full <policy>", "block | drop when the audit buffer is full"))
    .addOption(
      envOption(
        "--audit-buffer-records <n>",
        `audit records buffered at most (default ${NODE_DEFAULTS.auditBufferRecords})`,
      ),
    )
    .addOption(envOption("--log-level <level>", "debug | info | warn | error (default info)"))
    .addOption(envOption("--log-format <format>", "text | json (default text)"))
    .addOption(
      envOption(
        "--max-clients <n>",
        `client connections (default ${NODE_DEFAULTS.clientCountMax})`,
      ),
    )
    .addOption(
      envOption(
        "--client-output-max-bytes <n>",
        `unsent reply bytes per client before it is dropped (default ${NODE_DEFAULTS.clientOutputBytesMax})`,
      ),
    )
    .addOption(
      envOption(
        "--max-bulk-bytes <n>",
        `largest bulk string, at most ${BULK_BYTES_LIMIT} (default ${NODE_DEFAULTS.bulkBytesMax})`,
      ),
    )
    .addOption(
      envOption(
        "--max-arguments <n>",
        `arguments per command (default ${NODE_DEFAULTS.argumentCountMax})`,
      ),
    )
    .addOption(
      envOption(
        "--heartbeat-ms <n>",
        `peer heartbeat interval (default ${NODE_DEFAULTS.heartbeatIntervalMs})`,
      ),
    )
    .addOption(
      envOption(
        "--failure-timeout-ms <n>",
        `mark a silent peer down after (default ${NODE_DEFAULTS.failureTimeoutMs})`,
      ),
    )
    .addOption(
      envOption(
        "--raft-tick-ms <n>",
        `Raft clock period (default ${NODE_DEFAULTS.raftTickMs})`,
      ),
    )
    .addOption(
      envOption(
        "--election-ticks <n>",
        `election timeout in ticks, randomized to [T, 2T) (default ${NODE_DEFAULTS.electionTicks})`,
      ),
    )
    .addOption(
      envOption(
        "--quiesce-after-ticks <n>",
        `idle ticks before a Raft group stops heartbeating, 0 never ` +
          `(default ${NODE_DEFAULTS.quiesceAfterTicks})`,
      ),
    )
    .addOption(
      envOption(
        "--debug-groups <n>",
        "benchmarks only: host N extra empty Raft groups (default 0)",
      ).hideHelp(),
    )
    .addOption(
      envOption(
        "--slots <n>",
        `slots keys are placed in, the same on every member (default ${NODE_DEFAULTS.slotCount})`,
      ),
    )
    .addOption(
      envOption(
        "--vnodes <n>",
        `ring points per member, fixed at cluster creation (default ${NODE_DEFAULTS.vnodes})`,
      ),
    )
    .addOption(
      envOption(
        "--replicas <n>",
        `replicas per slot, fixed at cluster creation (default ${NODE_DEFAULTS.replicas})`,
      ),
    )
    .addOption(
      envOption(
        "--request-timeout-ms <n>",
        `wait for a replicated request before -TIMEOUT (default ${NODE_DEFAULTS.requestTimeoutMs})`,
      ),
    )
    .addOption(
      envOption(
        "--lock-ttl-min-ms <n>",
        `shortest lock TTL (default ${NODE_DEFAULTS.lockTtlMinMs})`,
      ),
    )
    .addOption(
      envOption(
        "--lock-ttl-max-ms <n>",
        `longest lock TTL (default ${NODE_DEFAULTS.lockTtlMaxMs})`,
      ),
    )
    .addOption(
      envOption(
        "--lock-wait-max-ms <n>",
        `longest lock WAIT (default ${NODE_DEFAULTS.lockWaitMaxMs})`,
      ),
    )
    .addOption(
      envOption(
        "--lock-waits-max <n>",
        `lock waits parked per node (default ${NODE_DEFAULTS.lockWaitsMax})`,
      ),
    )
    .addOption(
      envOption(
        "--queue-partitions <n>",
        `partitions of every queue, the same on every member (default ${NODE_DEFAULTS.queuePartitions})`,
      ),
    )
    .addOption(
      envOption(
        "--queue-wait-max-ms <n>",
        `longest QUEUE.POP WAIT (default ${NODE_DEFAULTS.queueWaitMaxMs})`,
      ),
    )
    .addOption(
      envOption(
        "--queue-waits-max <n>",
        `QUEUE.POP WAITs parked per node (default ${NODE_DEFAULTS.queueWaitsMax})`,
      ),
    )
    .addOption(
      envOption(
        "--disk-reserve-bytes <n>",
        `reserve file spent when the disk fills, 0 none (default ${NODE_DEFAULTS.diskReserveBytes})`,
      ),
    )
    .addOption(
      envOption(
        "--cache-max-bytes <n>",
        `bytes of cache lines on this node (default ${NODE_DEFAULTS.cacheMaxBytes})`,
      ),
    )
    .addOption(
      envOption(
        "--cache-max-entries <n>",
        `cache lines on this node (default ${NODE_DEFAULTS.cacheMaxEntries})`,
      ),
    )
    .addOption(
      envOption(
        "--cache <mode>",
        "on (default): GET/SET/... through coherent per-node cache lines; off: to the slot's store",
      ),
    )
    .addOption(
      envOption("--cache-write <mode>", "through (ack after the commit, default) or back"),
    )
    .addOption(
      envOption(
        "--cache-writeback-ms <n>",
        "write-back: a dirty line reaches its home within this many ms, at most what a crash " +
          `loses (1..60000, default ${NODE_DEFAULTS.cacheWriteBackMs})`,
      ),
    )
    .addOption(
      envOption(
        "--cache-lease-ms <n>",
        `coherence lease of a cache line (default ${NODE_DEFAULTS.cacheLeaseMs})`,
      ),
    )
    .addOption(
      envOption(
        "--cache-backend <url>",
        "redis://host:port: a Redis server is the cache's store of record (refused with --cache off)",
      ),
    )
    .action(async (options: RawNodeOptions) => {
      await runNode(options);
    });
}

async function runNode(options: RawNodeOptions): Promise<void> {
  let config;
  try {
    config = buildNodeConfig(options);
  } catch (error) {
    console.error(`dsync node: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(2);
  }
  const logger = new Logger(
    { level: config.logLevel, format: config.logFormat, sink: stderrSink },
    {
      node: config.id,
    },
  );
  let discovered: ClusterDiscovery | undefined;
  if (config.join !== null) {
    try {
      discovered = await discoverCluster(config.join, config.requestTimeoutMs);
    } catch (error) {
      logger.error("cannot join: the member at --join did not answer", {
        join: formatHostPort(config.join),
        error: error instanceof Error ? error.message : String(error),
      });
      Deno.exit(1);
    }
    config.clusterId = discovered.clusterId;
  }
  const node = new DsyncNode(config, logger, discovered?.members);
  try {
    await node.start();
    if (config.join !== null) {
      logger.info("asking the cluster to add this node", { join: formatHostPort(config.join) });
      await joinCluster(
        config.join,
        { id: config.id, peerAddress: config.peerAddress, clientAddress: config.clientAddress },
        config.requestTimeoutMs,
        (error, attempt) => logger.warn("join not confirmed yet; retrying", { attempt, error }),
      );
      logger.info("joined the cluster", { cluster: config.clusterId });
    }
  } catch (error) {
    logger.error("node cannot start", {
      error: error instanceof Error ? error.message : String(error),
    });
    Deno.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    await node.stop();
    Deno.exit(0);
  };
  // A removed member stops for good, leaving its data directory (exit code 0: not a failure,
  // so a supervisor restarting on failure leaves it stopped).
  node.onRemoved = (byPeer, message) => {
    logger.warn("removed from the cluster; exiting", { by: byPeer, detail: message });
    void shutdown("removed");
  };
  // Log rotation: the audit log is reopened at its path (the old file was moved away).
  Deno.addSignalListener("SIGHUP", () => node.reopenAuditLog());
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
}
