import { CommandTable } from "../commands/command_table.ts";
import { CONNECTION_COMMANDS } from "../commands/connection_commands.ts";
import { INFO_COMMANDS } from "../commands/info_command.ts";
import { commandIntrospection } from "../commands/command_command.ts";
import { CLUSTER_COMMANDS } from "../commands/cluster_command.ts";
import { CONFIG_COMMANDS } from "../commands/config_command.ts";
import { type ClusterView, newServerStats, type NodeServices } from "../commands/node_services.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { ClientServer } from "../server/client_server.ts";
import { PeerTransport } from "../peer/peer_transport.ts";
import { formatHostPort } from "../util/host_port.ts";
import { PeerClusterView } from "./peer_cluster_view.ts";
import { MetricsServer } from "../metrics/metrics_server.ts";

/** One dsync node: client port, peer transport and the subsystems behind them. */
export class DsyncNode {
  readonly config: NodeConfig;
  readonly #logger: Logger;
  readonly #clients: ClientServer;
  readonly #transport: PeerTransport;
  readonly #services: NodeServices;
  readonly #metrics: MetricsServer | null;

  constructor(config: NodeConfig, logger: Logger) {
    this.config = config;
    this.#logger = logger;
    const nowMs = () => performance.now();
    const peers = new Map(config.peers ?? []);
    peers.delete(config.id);
    this.#transport = new PeerTransport({
      nodeId: config.id,
      clusterId: config.clusterId,
      listen: config.peerAddress,
      clientAddress: formatHostPort(config.clientAddress),
      peers,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      failureTimeoutMs: config.failureTimeoutMs,
      logger,
      nowMs,
    });
    const cluster: ClusterView = new PeerClusterView(config, this.#transport);
    let table: CommandTable | null = null;
    table = new CommandTable([
      ...CONNECTION_COMMANDS,
      ...INFO_COMMANDS,
      ...CLUSTER_COMMANDS,
      ...CONFIG_COMMANDS,
      ...commandIntrospection(() => table!),
    ]);
    this.#services = {
      config,
      logger,
      nowMs,
      startedAtMs: nowMs(),
      stats: newServerStats(),
      sessions: () => this.#clients.sessions(),
      cluster,
      infoSections: () => new Map(),
    };
    this.#clients = new ClientServer(config, table, this.#services, logger);
    this.#metrics = config.metrics === null ? null : new MetricsServer(this.#services);
  }

  /** Creates the data directory and opens both ports; throws if a port is taken. */
  async start(): Promise<void> {
    await Deno.mkdir(this.config.dataDir, { recursive: true });
    this.#transport.start();
    await this.#clients.listen();
    if (this.#metrics !== null && this.config.metrics !== null) {
      this.#metrics.listen(this.config.metrics);
    }
    this.#logger.info("node started", {
      client: formatHostPort(this.config.clientAddress),
      peer: formatHostPort(this.config.peerAddress),
      cluster: this.config.clusterId,
      data: this.config.dataDir,
    });
  }

  /** Closes clients, peers and listeners. */
  async stop(): Promise<void> {
    this.#clients.close();
    await this.#metrics?.close();
    this.#transport.close();
    this.#logger.info("node stopped");
  }
}
