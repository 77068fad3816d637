import { RespWriter } from "../../protocol/resp/mod.ts";
import type { PeerMessage } from "../../protocol/peer/mod.ts";
import { ClientSession } from "../commands/client_session.ts";
import { CommandTable, type ReplyFn } from "../commands/command_table.ts";
import { CONNECTION_COMMANDS } from "../commands/connection_commands.ts";
import { INFO_COMMANDS } from "../commands/info_command.ts";
import { commandIntrospection } from "../commands/command_command.ts";
import { CLUSTER_COMMANDS } from "../commands/cluster_command.ts";
import { CONFIG_COMMANDS } from "../commands/config_command.ts";
import { DEBUG_COMMANDS } from "../commands/debug_command.ts";
import { newServerStats, type NodeServices } from "../commands/node_services.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { ClientServer } from "../server/client_server.ts";
import { PeerTransport } from "../peer/peer_transport.ts";
import { formatHostPort, type HostPort } from "../util/host_port.ts";
import { MetricsServer } from "../metrics/metrics_server.ts";
import {
  META_GROUP_ID,
  META_TIMING_DEFAULTS,
  MetaGroup,
  type MetaTiming,
} from "../meta/meta_group.ts";
import { MetaClusterView } from "../meta/meta_cluster_view.ts";
import { readCommittedEntries } from "../meta/committed_entries.ts";
import { ClusterError, noLeaderError } from "../consensus/cluster_error.ts";
import { Forwarder, newRequestEpoch } from "./forwarder.ts";
import { RaftGroups } from "../consensus/raft_groups.ts";
import { type DebugGroups, openDebugGroups } from "./debug_groups.ts";
import { RaftOutbox } from "../consensus/raft_outbox.ts";
import { persistenceSection, raftGroupsSection } from "./info_sections.ts";
import { RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";
import { LockService } from "../lock_service/lock_service.ts";
import { LOCK_COMMANDS } from "../lock_service/lock_commands.ts";
import { errorReply, internalErrorLine } from "../commands/replies.ts";
import { openNodeLog } from "./node_storage.ts";
import type { NodeLog } from "../storage/mod.ts";

/** Decodes a forwarded RESP2 reply so it can be re-encoded in the client's protocol. */
function decodeReply(bytes: Uint8Array): RespValue {
  const decoder = new RespReplyDecoder();
  decoder.push(bytes);
  const value = decoder.next();
  if (value === undefined) throw new ClusterError("ERR", "truncated reply from the leader");
  return value;
}

/** PEM material for peer TLS, when `--tls-ca` is given with `--tls-cert`/`--tls-key`. */
async function readPeerTls(config: NodeConfig) {
  const tls = config.tls;
  if (tls === null || tls.caFile === null) return undefined;
  return {
    certPem: await Deno.readTextFile(tls.certFile),
    keyPem: await Deno.readTextFile(tls.keyFile),
    caPem: await Deno.readTextFile(tls.caFile),
  };
}

/** One dsync node: client port, peer transport, the meta Raft group and what stands on it. */
export class DsyncNode {
  readonly config: NodeConfig;
  readonly #logger: Logger;
  readonly #timing: MetaTiming;
  readonly #transport: PeerTransport;
  readonly #forwarder: Forwarder;
  readonly #raftGroups: RaftGroups;
  readonly #raftOutbox: RaftOutbox;
  #meta: MetaGroup | null = null;
  /** The one write-ahead log of every Raft group on this node. */
  #nodeLog: NodeLog | null = null;
  #clients: ClientServer | null = null;
  #metrics: MetricsServer | null = null;
  #services: NodeServices | null = null;
  #table: CommandTable | null = null;
  #locks: LockService | null = null;
  readonly #debugGroups: DebugGroups = { hosts: new Map() };

  /** `discovered`: for a joining node, the members learned from `--join` (see join.ts). */
  constructor(config: NodeConfig, logger: Logger, discovered?: Map<string, HostPort>) {
    this.config = config;
    this.#logger = logger;
    this.#timing = {
      tickMs: config.raftTickMs,
      electionTicks: config.electionTicks,
      quiesceAfterTicks: config.quiesceAfterTicks,
      requestTimeoutMs: config.requestTimeoutMs,
      snapshotEntriesMax: META_TIMING_DEFAULTS.snapshotEntriesMax,
    };
    const peers = new Map(config.peers ?? discovered ?? []);
    peers.delete(config.id);
    this.#transport = new PeerTransport({
      nodeId: config.id,
      clusterId: config.clusterId,
      listen: config.peerAddress,
      clientAddress: formatHostPort(config.clientAddress),
      peers,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      failureTimeoutMs: config.failureTimeoutMs,
      incarnationId: () => this.#meta?.incarnationId() ?? "",
      checkIncarnation: (peerId, incarnationId) =>
        this.#meta?.checkIncarnation(peerId, incarnationId) ?? null,
      logger,
      nowMs: () => performance.now(),
    });
    this.#forwarder = new Forwarder(
      (to, message) => this.#transport.send(to, message),
      newRequestEpoch(),
    );
    this.#raftGroups = new RaftGroups(config.id, config.raftTickMs, logger);
    this.#raftOutbox = new RaftOutbox((to, message) => this.#transport.send(to, message));
    this.#raftOutbox.onUnreachable = (to, groupId) => this.#raftGroups.unreachable(to, groupId);
    this.#transport.onMessage = (from, message) => this.#onPeerMessage(from, message);
    this.#transport.onPeerDisconnected = (peerId) => {
      this.#forwarder.peerLost(peerId);
      this.#raftGroups.peerDisconnected(peerId);
    };
    // A peer silent past --failure-timeout-ms wakes the quiet groups it leads, as a close does.
    this.#transport.onPeerDown = (peerId) => this.#raftGroups.peerDisconnected(peerId);
  }

  /** Opens storage, binds both ports and starts the meta group; throws if anything fails. */
  async start(): Promise<void> {
    await Deno.mkdir(this.config.dataDir, { recursive: true });
    this.#transport.useTls(await readPeerTls(this.config));
    const nodeLog = await openNodeLog(this.config, this.#logger);
    this.#nodeLog = nodeLog;
    const meta = await MetaGroup.open(
      this.config,
      this.#transport,
      { groups: this.#raftGroups, outbox: this.#raftOutbox, log: nodeLog },
      this.#logger,
      this.#timing,
    );
    this.#meta = meta;
    const locks = new LockService(
      meta,
      {
        ttlMinMs: this.config.lockTtlMinMs,
        ttlMaxMs: this.config.lockTtlMaxMs,
        waitMaxMs: this.config.lockWaitMaxMs,
        parkedMax: this.config.lockWaitsMax,
        expiryCheckMs: this.config.raftTickMs,
        requestTimeoutMs: this.config.requestTimeoutMs,
      },
      (args) => this.#callLeader(args),
      this.#logger,
    );
    this.#locks = locks;
    const services = this.#buildServices(meta, locks);
    this.#services = services;
    let table: CommandTable | null = null;
    table = new CommandTable([
      ...CONNECTION_COMMANDS,
      ...INFO_COMMANDS,
      ...CLUSTER_COMMANDS,
      ...CONFIG_COMMANDS,
      ...DEBUG_COMMANDS,
      ...LOCK_COMMANDS,
      ...commandIntrospection(() => table!),
    ]);
    this.#table = table;
    this.#clients = new ClientServer(this.config, table, services, this.#logger);
    this.#transport.start();
    this.#raftGroups.start();
    meta.start();
    locks.start();
    await this.#clients.listen();
    if (this.config.debugGroups > 0) {
      openDebugGroups(
        this.config,
        { groups: this.#raftGroups, outbox: this.#raftOutbox, log: nodeLog },
        () => meta.quorumReachable(),
        this.#logger,
        this.#debugGroups,
      ).catch((error) => this.#logger.error("debug groups failed", { error: String(error) }));
    }
    if (this.config.metrics !== null) {
      this.#metrics = new MetricsServer(services);
      this.#metrics.listen(this.config.metrics);
    }
    this.#logger.info("node started", {
      client: formatHostPort(this.config.clientAddress),
      peer: formatHostPort(this.config.peerAddress),
      cluster: this.config.clusterId,
      data: this.config.dataDir,
    });
  }

  /** Closes clients, the meta group, peers and listeners. */
  async stop(): Promise<void> {
    this.#clients?.close();
    this.#forwarder.close();
    this.#locks?.stop();
    await this.#metrics?.close();
    this.#raftGroups.stop();
    this.#meta?.stop();
    await this.#nodeLog?.close();
    this.#transport.close();
    this.#logger.info("node stopped");
  }

  #buildServices(meta: MetaGroup, locks: LockService): NodeServices {
    const nowMs = () => performance.now();
    return {
      config: this.config,
      logger: this.#logger,
      nowMs,
      startedAtMs: nowMs(),
      stats: newServerStats(),
      sessions: () => this.#clients?.sessions() ?? [],
      cluster: new MetaClusterView(
        this.config,
        meta,
        this.#transport,
      ),
      onLeader: (call, local) => this.#onLeader(call.args, call.session.forwarded, local),
      proposeNoop: (payload) => meta.proposeCommand({ op: "noop", payload }).then(() => {}),
      proposeNoopInGroup: (groupId, payload) => this.#proposeNoopInGroup(meta, groupId, payload),
      raftGroups: () =>
        [...this.#raftGroups.entries()].map(([groupId, host]) => ({
          groupId,
          purpose: groupId === META_GROUP_ID ? "meta" as const : "debug" as const,
          status: host.status(),
        })),
      committedEntries: (fromIndex, countMax) => readCommittedEntries(meta, fromIndex, countMax),
      locks,
      lockLimits: {
        ttlMinMs: this.config.lockTtlMinMs,
        ttlMaxMs: this.config.lockTtlMaxMs,
        waitMaxMs: this.config.lockWaitMaxMs,
      },
      infoSections: () =>
        new Map([
          ["locks", locks.infoSection()],
          ["persistence", persistenceSection(meta)],
          ["raft", raftGroupsSection(this.#raftGroups)],
        ]),
    };
  }

  /** Runs `local` on the leader, or forwards the command there. */
  /** DEBUG PROPOSE ... GROUP: a no-op entry in one hosted group, on its leader only. */
  #proposeNoopInGroup(meta: MetaGroup, groupId: number, payload: Uint8Array): Promise<void> {
    if (groupId === META_GROUP_ID) {
      return meta.proposeCommand({ op: "noop", payload }).then(() => {});
    }
    const host = this.#debugGroups.hosts.get(groupId);
    if (host === undefined) {
      return Promise.reject(new ClusterError("ERR", `group ${groupId} is not hosted on this node`));
    }
    const status = host.status();
    if (status.role !== "leader") {
      return Promise.reject(
        new ClusterError(
          "TRYAGAIN",
          `group ${groupId} is led by ${status.leaderId ?? "nobody yet"}`,
        ),
      );
    }
    return host.propose(payload).then(() => {});
  }

  #onLeader(
    args: Uint8Array[],
    forwarded: boolean,
    local: () => Promise<ReplyFn>,
  ): Promise<ReplyFn> {
    const meta = this.#meta!;
    // Per command: the host's getters, not a whole status (progress, membership copies).
    if (meta.host.leading) return local();
    const leaderId = meta.host.leaderId;
    if (leaderId === null || forwarded || !this.#transport.isUp(leaderId)) {
      const error = noLeaderError(
        meta.quorumReachable(),
        forwarded ? "leadership moved; retry" : "no leader elected yet",
      );
      return Promise.resolve((out) => out.error(error.message));
    }
    return this.#forwarder.forward(leaderId, args, this.#timing.requestTimeoutMs).then(
      (reply) => {
        const value = decodeReply(reply);
        return (out, version) => out.value(value, version);
      },
      errorReply,
    );
  }

  /** Sends a command to the leader (for services that must, e.g. a parked lock wait's cancel). */
  async #callLeader(args: string[]): Promise<RespValue> {
    const meta = this.#meta!;
    const leaderId = meta.status().leaderId;
    if (leaderId === null || !this.#transport.isUp(leaderId)) {
      throw noLeaderError(meta.quorumReachable());
    }
    const encoded = args.map((arg) => new TextEncoder().encode(arg));
    return decodeReply(
      await this.#forwarder.forward(leaderId, encoded, this.#timing.requestTimeoutMs),
    );
  }

  #onPeerMessage(from: string, message: PeerMessage): void {
    switch (message.type) {
      case "raft":
      case "raftBatch":
        this.#raftGroups.receiveFrame(from, message);
        return;
      case "forwardRequest": {
        const { requestEpoch, requestId } = message;
        void this.#executeForwarded(message.args).then((reply) =>
          this.#transport.send(from, { type: "forwardReply", requestEpoch, requestId, reply })
        );
        return;
      }
      case "forwardReply":
        this.#forwarder.onReply(from, message);
        return;
      default:
        return;
    }
  }

  /** Runs a command another node forwarded here; returns its RESP2-encoded reply. */
  async #executeForwarded(args: Uint8Array[]): Promise<Uint8Array> {
    const out = new RespWriter(256);
    const table = this.#table;
    if (table === null || args.length === 0) {
      out.error("TRYAGAIN node is starting");
      return out.bytes().slice();
    }
    const session = new ClientSession(0, "peer", performance.now(), true);
    session.forwarded = true;
    const resolution = table.resolve(args, true, true);
    if (resolution.error !== undefined) {
      out.error(resolution.error);
      return out.bytes().slice();
    }
    try {
      const result = resolution.spec.handler!({ args, session, out, services: this.#services! });
      if (result !== undefined) (await result)(out, 2);
    } catch (error) {
      // Last resort (a bug, not a refusal): answer the forwarding node rather than stay silent.
      this.#logger.error("forwarded command failed unexpectedly", { error: String(error) });
      const failed = new RespWriter(256);
      failed.error(internalErrorLine(error));
      return failed.bytes().slice();
    }
    return out.bytes().slice();
  }
}
