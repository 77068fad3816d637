import { RespWriter } from "../../protocol/resp/mod.ts";
import type { PeerMessage } from "../../protocol/peer/mod.ts";
import { CommandTable } from "../commands/command_table.ts";
import { CONNECTION_COMMANDS } from "../commands/connection_commands.ts";
import { INFO_COMMANDS } from "../commands/info_command.ts";
import { commandIntrospection } from "../commands/command_command.ts";
import { CLUSTER_COMMANDS } from "../commands/cluster_command.ts";
import { CONFIG_COMMANDS } from "../commands/config_command.ts";
import { DEBUG_COMMANDS } from "../commands/debug_command.ts";
import { newServerStats, type NodeServices, type ServerStats } from "../commands/node_services.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { ClientServer } from "../server/client_server.ts";
import { PeerTransport } from "../peer/peer_transport.ts";
import { formatHostPort, type HostPort } from "../util/host_port.ts";
import type { MetricsServer } from "../metrics/metrics_server.ts";
import type { ReadinessInput } from "../metrics/readiness.ts";
import {
  META_GROUP_ID,
  META_TIMING_DEFAULTS,
  MetaGroup,
  type MetaTiming,
} from "../meta/meta_group.ts";
import { MetaClusterView } from "./meta_cluster_view.ts";
import { readCommittedEntries } from "./committed_entries.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import { Forwarder, newRequestEpoch } from "./forwarder.ts";
import { RaftGroups } from "../consensus/raft_groups.ts";
import { type DebugGroups, openDebugGroups } from "./debug_groups.ts";
import { RaftOutbox } from "../consensus/raft_outbox.ts";
import { persistenceSection, raftGroupsSection } from "./info_sections.ts";
import { lockSubsystemFactory } from "../lock_service/lock_subsystem.ts";
import { kvEntryBytesMax, kvSubsystemFactory } from "../kv_service/kv_subsystem.ts";
import { queueSubsystemFactory } from "../queue_service/queue_subsystem.ts";
import type { KvService } from "../kv_service/kv_service.ts";
import { cacheSubsystemFactory } from "../cache_service/cache_subsystem.ts";
import { slotGroupId, SlotGroups, slotOfGroup } from "./slot_groups.ts";
import { slotsSection } from "./slots_section.ts";
import { SlotMachine } from "./slot_machine.ts";
import { openNodeLog } from "./node_storage.ts";
import type { NodeLog } from "../storage/mod.ts";
import { CommandRouter, type RouteGroups } from "./router.ts";
import { PeerDispatcher } from "./peer_dispatch.ts";
import { PEER_CODE_RANGES, type Subsystem } from "../subsystem/subsystem.ts";
import { StallMonitor } from "../util/stall_monitor.ts";
import { backupCommands, type BackupSource } from "../commands/backup_command.ts";
import { ImageStore } from "../backup/image_store.ts";
import { loadRestoreSeed, type RestoreSeed } from "../backup/restore_seed.ts";
import { type SecurityFactory, securitySubsystemFactory } from "../acl/acl_subsystem.ts";
import { AuditLog } from "../audit/audit_log.ts";
import { Auditor } from "../audit/auditor.ts";

/**
 * Client connections and forwarded commands waiting for a turn at most; forwarded commands
 * beyond are refused with `-LIMIT` (a client connection that waits stops reading, so its own
 * backlog is bounded by its socket).
 */
const WAITING_WORK_MAX = 20_000;
/** Window of INFO's `event_loop_stall_recent_max_ms` (it covers one to two windows). */
const STALL_WINDOW_MS = 30_000;
/** At most one "event loop stalled" WARN line per this many ms. */
const STALL_WARN_INTERVAL_MS = 1_000;

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

/** How often slot groups are moved towards the placement (SlotGroups.reconcile). */
const RECONCILE_INTERVAL_MS = 200;
/**
 * Heartbeat intervals without a frame after which a replaced leader counts as silent: forwards and
 * cache requests pending there then fail at once (a live node sends a heartbeat every interval).
 */
const SILENT_HEARTBEATS = 3;

/** One dsync node: client port, peer transport, the meta Raft group and what stands on it. */
export class DsyncNode {
  readonly config: NodeConfig;
  readonly #logger: Logger;
  readonly #timing: MetaTiming;
  /** Called once when a member tells this node it was removed from the cluster. */
  onRemoved: (byPeer: string, message: string) => void = () => {};
  readonly #transport: PeerTransport;
  readonly #forwarder: Forwarder;
  readonly #raftGroups: RaftGroups;
  readonly #raftOutbox: RaftOutbox;
  #meta: MetaGroup | null = null;
  /** The one write-ahead log of every Raft group on this node. */
  #nodeLog: NodeLog | null = null;
  #clients: ClientServer | null = null;
  #metrics: MetricsServer | null = null;
  readonly #router: CommandRouter;
  readonly #dispatcher = new PeerDispatcher();
  /** Run, each of them, when the connection to a peer closes. */
  readonly #disconnectHooks: Array<(peerId: string) => void> = [];
  #subsystems: Subsystem[] = [];
  readonly #debugGroups: DebugGroups = { hosts: new Map() };
  readonly #stats: ServerStats = newServerStats();
  readonly #stallMonitor: StallMonitor;
  #slotGroups: SlotGroups | null = null;
  /** Per slot not hosted here: which up replica the cache asks next (see #leaderOfSlot). */
  readonly #homeTurns = new Map<number, number>();
  /** Per hosted group: when readiness first saw it without a leader (see #readinessInput). */
  readonly #leaderlessSinceMs = new Map<number, number>();
  /** Moves slot groups towards the placement now and then. */
  #reconciler: ReturnType<typeof setInterval> | undefined;
  /** The `--audit-log` file, when configured. */
  readonly #audit: AuditLog | null;
  readonly #security: SecurityFactory;

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
    // Forwards left with a replaced leader that went silent fail at once, not at their timeout.
    this.#raftGroups.onLeaderKnown = (groupId, leaderId) =>
      void this.#forwarder.leaderChanged(groupId, leaderId, (peerId) => this.#silent(peerId));
    this.#router = new CommandRouter({
      slotCount: () => this.#meta?.slotCount() ?? config.slotCount,
      requestTimeoutMs: config.requestTimeoutMs,
      groups: this.#routeGroups(),
      forwarder: this.#forwarder,
      isUp: (id) => this.#transport.isUp(id),
      logger,
    });
    this.#registerPeerHandlers();
    this.#transport.onMessage = (from, message) => this.#dispatcher.dispatch(from, message);
    this.#disconnectHooks.push(
      (peerId) => this.#forwarder.peerGone(peerId, `lost the connection to ${peerId}`),
      (peerId) => this.#raftGroups.peerDisconnected(peerId),
    );
    this.#transport.onPeerDisconnected = (peerId) => {
      for (const hook of this.#disconnectHooks) hook(peerId);
    };
    // A peer silent past --failure-timeout-ms wakes the quiet groups it leads, as a close does.
    // A peer back (maybe with an empty disk) is heard by the quiet groups it is in (lost_state.ts).
    this.#transport.onPeerConnected = (peerId) => this.#raftGroups.peerConnected(peerId);
    this.#transport.onPeerDown = (peerId) => {
      this.#stats.peerDownMarks++;
      this.#forwarder.peerGone(peerId, `${peerId} stopped answering`);
      this.#raftGroups.peerDisconnected(peerId);
    };
    this.#transport.onRemoved = (byPeer, message) => this.onRemoved(byPeer, message);
    this.#stallMonitor = new StallMonitor({
      tickMs: config.raftTickMs,
      windowMs: STALL_WINDOW_MS,
      warnIntervalMs: STALL_WARN_INTERVAL_MS,
    }, logger);
    this.#stats.loop = this.#stallMonitor.figures;
    const audit = config.audit;
    this.#audit = audit === null ? null : new AuditLog(
      { path: audit.path, recordsMax: audit.recordsMax, full: audit.full },
      logger,
    );
    this.#security = securitySubsystemFactory(config, this.#audit);
  }

  /** True when peer `id` sent nothing for SILENT_HEARTBEATS heartbeat intervals. */
  #silent(id: string): boolean {
    return this.#transport.silenceMs(id) >= SILENT_HEARTBEATS * this.config.heartbeatIntervalMs;
  }

  /** Reopens the audit log at its path (SIGHUP, after the old file was rotated away). */
  reopenAuditLog(): void {
    this.#audit?.reopen();
  }

  /** Opens storage, binds both ports and starts the meta group; throws if anything fails. */
  async start(): Promise<void> {
    await Deno.mkdir(this.config.dataDir, { recursive: true });
    // prom-client is a large CommonJS graph (180-245 ms to load under load): only a node serving
    // /metrics loads it, and before it serves anything, so the load holds up no peer.
    const metricsModule = this.config.metrics === null
      ? null
      : await import("../metrics/metrics_server.ts");
    this.#stallMonitor.start();
    this.#transport.useTls(await readPeerTls(this.config));
    await this.#audit?.open();
    await this.#security.service.init();
    const nodeLog = await openNodeLog(this.config, this.#logger);
    this.#nodeLog = nodeLog;
    // Subsystems' state machines in the meta group are registered before it opens.
    // The cache stands in front of the key-value store: it serves GET/SET/... and its homes
    // read and commit through the store's service.
    let kvService: KvService | null = null;
    const factories = [
      lockSubsystemFactory(this.config, this.#logger),
      kvSubsystemFactory(this.config, this.#logger, {
        clientCommands: this.config.cache === "off",
        onService: (service) => kvService = service,
      }),
      cacheSubsystemFactory(this.config, this.#logger, {
        kv: () => kvService!,
        homeOf: (slot) => this.#leaderOfSlot(slot),
        homeRefused: (slot) => this.#homeTurns.set(slot, (this.#homeTurns.get(slot) ?? 0) + 1),
        quorumReachable: (slot) => this.#routeGroups().quorumReachable(slotGroupId(slot)),
        send: (to, message) => this.#transport.send(to, message),
        isUp: (id) => this.#transport.isUp(id),
        silent: (id) => this.#silent(id),
        memberIds: () => this.#memberIds(),
      }),
      queueSubsystemFactory(this.config, this.#logger),
      this.#security,
    ];
    const seed = await this.#restoreSeed();
    const meta = await MetaGroup.open(
      this.config,
      this.#transport,
      { groups: this.#raftGroups, outbox: this.#raftOutbox, log: nodeLog },
      this.#logger,
      this.#timing,
      factories.flatMap((factory) => factory.metaMachines),
      seed?.meta,
    );
    this.#meta = meta;
    const slotHost = (slot: number) => this.#slotGroups?.host(slot);
    const context = {
      call: (args: string[]) => this.#router.call(args),
      callBytes: (args: Uint8Array[], user?: string | null) =>
        this.#router.callBytes(args, user ?? null),
      slotCount: () => meta.slotCount(),
      slotOfGroup: (groupId: number) => slotOfGroup(groupId, meta.slotCount()),
      slotHost,
      slotHosts: () => this.#slotGroups?.entries() ?? [],
      broadcast: (message: PeerMessage) => this.#broadcast(message),
      nodeId: this.config.id,
    };
    this.#subsystems = factories.map((factory) => factory.build(meta, context));
    for (const subsystem of this.#subsystems) this.#plugIn(subsystem);
    await this.#openSlotGroups(meta, nodeLog, seed);
    const services = this.#buildServices(meta);
    let table: CommandTable | null = null;
    const specs = [
      ...CONNECTION_COMMANDS,
      ...INFO_COMMANDS,
      ...CLUSTER_COMMANDS,
      ...CONFIG_COMMANDS,
      ...DEBUG_COMMANDS,
      ...this.#subsystems.flatMap((subsystem) => subsystem.commands),
      ...backupCommands(this.#backupSource(meta)),
      ...commandIntrospection(() => table!),
    ];
    table = new CommandTable(specs.map((spec) => this.#router.wrap(spec)));
    this.#router.attach(table, services);
    this.#security.service.useTable(table);
    const audit = this.config.audit;
    const auditor = this.#audit === null || audit === null
      ? null
      : new Auditor(this.#audit, audit.scope, this.config.id);
    this.#clients = new ClientServer(this.config, table, services, this.#logger, auditor);
    await this.#transport.start();
    this.#raftGroups.start();
    meta.start();
    for (const subsystem of this.#subsystems) subsystem.start();
    this.#reconciler = setInterval(() => {
      const placement = meta.state.placement;
      const first = meta.state.firstPlacement;
      if (placement === null || first === null || this.#slotGroups === null) return;
      // Slots that wait for this node's first incarnation record open once it is applied.
      if (this.#slotGroups.waiting) void this.#slotGroups.follow(placement, first);
      this.#slotGroups.reconcile(placement);
    }, RECONCILE_INTERVAL_MS);
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
    if (this.config.metrics !== null && metricsModule !== null) {
      this.#metrics = new metricsModule.MetricsServer(services, {
        sources: this.#subsystems.flatMap((subsystem) => subsystem.metrics ?? []),
        logStats: () => nodeLog.stats(),
        readiness: () => this.#readinessInput(meta, services),
      });
      this.#metrics.listen(this.config.metrics);
    }
    this.#logger.info("node started", {
      client: formatHostPort(this.config.clientAddress),
      peer: formatHostPort(this.config.peerAddress),
      cluster: this.config.clusterId,
      data: this.config.dataDir,
    });
  }

  /**
   * Closes clients, lets the subsystems drain (the cache hands its lines back while groups and
   * peers still run), then stops the meta group, peers and listeners.
   */
  async stop(): Promise<void> {
    this.#clients?.close();
    this.#forwarder.close();
    await Promise.all(this.#subsystems.map((subsystem) => subsystem.drain?.()));
    for (const subsystem of this.#subsystems) subsystem.stop();
    clearInterval(this.#reconciler);
    await this.#metrics?.close();
    this.#raftGroups.stop();
    this.#meta?.stop();
    await this.#nodeLog?.close();
    await this.#audit?.close();
    this.#transport.close();
    this.#stallMonitor.stop();
    this.#logger.info("node stopped");
  }

  /**
   * Opens the slot groups the recorded placement lists this node in (the meta log was replayed,
   * so a restart recovers them here), and follows each later placement.
   */
  async #openSlotGroups(
    meta: MetaGroup,
    nodeLog: NodeLog,
    seed: RestoreSeed | null,
  ): Promise<void> {
    const suppliers = this.#subsystems.filter((subsystem) => subsystem.slotMachine !== undefined);
    if (suppliers.length === 0) return;
    const slotGroups = new SlotGroups({
      config: this.config,
      raft: { groups: this.#raftGroups, outbox: this.#raftOutbox, log: nodeLog },
      logger: this.#logger,
      machineOf: (slot) =>
        new SlotMachine(suppliers.map((supplier) => ({
          tag: supplier.slotPartTag ?? 0,
          machine: supplier.slotMachine!(slot),
        }))),
      machineDropped: (slot) => {
        for (const supplier of suppliers) supplier.slotDropped?.(slot);
      },
      isUp: (id) => this.#transport.isUp(id),
      entryBytesMax: kvEntryBytesMax(this.config),
      ...(seed === null ? {} : { seedOf: (slot: number) => seed.slots[slot] }),
      incarnationId: () => meta.incarnationId(),
      firstIncarnation: (id) => meta.state.firstIncarnation(id),
      sendLeft: ({ to, groupId, configIndex }) =>
        void this.#transport.send(to, { type: "groupLeft", groupId, configIndex }),
    });
    this.#slotGroups = slotGroups;
    const follow = () => {
      const placement = meta.state.placement;
      const first = meta.state.firstPlacement;
      if (placement === null || first === null) return Promise.resolve();
      return slotGroups.follow(placement, first);
    };
    meta.onPlacementChanged = () => void follow();
    await follow();
  }

  /** Sends `message` to every peer that is up; how many it was queued for. */
  #broadcast(message: PeerMessage): number {
    let sent = 0;
    for (const peer of this.#transport.peers()) {
      if (this.#transport.isUp(peer.id) && this.#transport.send(peer.id, message)) sent++;
    }
    return sent;
  }

  /**
   * The node that leads slot `slot`'s group as this node knows it (the cache's home), or null.
   * A node that does not host the slot knows only the placement: the slot's replicas that are
   * up, the preferred leader first, from the one last named; a refusal (that node does not lead)
   * moves on to the next (`homeRefused`).
   */
  #leaderOfSlot(slot: number): string | null {
    const host = this.#slotGroups?.host(slot);
    if (host !== undefined) return host.leading ? this.config.id : host.leaderId;
    const placed = this.#meta?.state.placement?.slots[slot];
    if (placed === undefined) return null;
    const candidates = [placed.leader, ...placed.replicas.filter((id) => id !== placed.leader)];
    const up = candidates.filter((id) => this.#transport.isUp(id));
    if (up.length === 0) return placed.leader;
    return up[(this.#homeTurns.get(slot) ?? 0) % up.length]!;
  }

  /**
   * The members as this node sees them: itself, its peer links (kept equal to the replicated
   * membership, and the only nodes whose frames it takes) and the meta group's member records.
   */
  #memberIds(): string[] {
    const ids = [this.config.id];
    for (const peer of this.#transport.peers()) ids.push(peer.id);
    for (const member of this.#meta?.state.members() ?? []) ids.push(member.id);
    return ids;
  }

  /** The Raft groups commands route to, as this node sees them. */
  #routeGroups(): RouteGroups {
    return {
      metaGroupId: META_GROUP_ID,
      groupOfSlot: (slot) => slotGroupId(slot),
      // Per command: the host's getters, not a whole status (progress, membership copies).
      status: (groupId) => {
        const host = this.#raftGroups.get(groupId);
        if (host !== undefined) {
          return { role: host.leading ? "leader" : "follower", leaderId: host.leaderId };
        }
        // A slot group this node does not host: its preferred leader, who takes the lead once
        // it is caught up (SlotGroups.reconcile).
        const meta = this.#meta;
        const slot = meta === null ? null : slotOfGroup(groupId, meta.slotCount());
        const leaderId = slot === null ? null : meta!.state.placement?.slots[slot]?.leader;
        return leaderId === undefined || leaderId === null ? null : { role: "remote", leaderId };
      },
      candidates: (groupId) => {
        const ids = new Set<string>();
        const meta = this.#meta;
        const host = this.#raftGroups.get(groupId);
        if (host !== undefined) { for (const id of host.status().confState.voters) ids.add(id); }
        const slot = meta === null ? null : slotOfGroup(groupId, meta.slotCount());
        const placed = slot === null ? undefined : meta!.state.placement?.slots[slot];
        if (placed !== undefined) {
          ids.add(placed.leader);
          for (const id of placed.replicas) ids.add(id);
        }
        ids.delete(this.config.id);
        return [...ids];
      },
      quorumReachable: (groupId) => {
        const meta = this.#meta;
        if (meta === null) return false;
        const slot = slotOfGroup(groupId, meta.slotCount());
        if (slot === null || this.#slotGroups?.host(slot) === undefined) {
          return meta.quorumReachable();
        }
        return this.#slotGroups.quorumReachable(slot);
      },
    };
  }

  /** Raft and forwarding frames: the node's own peer message handlers. */
  #registerPeerHandlers(): void {
    const raft = (from: string, message: PeerMessage) =>
      this.#raftGroups.receiveFrame(from, message);
    this.#dispatcher.register("raft", PEER_CODE_RANGES.raft, "raft", raft);
    this.#dispatcher.register("raft", PEER_CODE_RANGES.raft, "raftBatch", raft);
    this.#dispatcher.register("raft", PEER_CODE_RANGES.raft, "groupLeft", (_from, message) => {
      const meta = this.#meta;
      if (message.type !== "groupLeft" || meta === null || this.#slotGroups === null) return;
      const slot = slotOfGroup(message.groupId, meta.slotCount());
      if (slot === null) return;
      void this.#slotGroups.left(slot, message.configIndex, meta.state.placement);
    });
    const forwarding = PEER_CODE_RANGES.forwarding;
    this.#dispatcher.register("forwarding", forwarding, "forwardRequest", (from, message) => {
      if (message.type !== "forwardRequest") return;
      const { requestEpoch, requestId } = message;
      const run = () =>
        void this.#router.executeForwarded(from, message).then((reply) =>
          this.#transport.send(from, { type: "forwardReply", requestEpoch, requestId, reply })
        );
      // Forwarded commands are client work: a burst of them takes its turns behind the node's
      // own clients (in arrival order) and leaves room for heartbeats and ticks.
      const budget = this.#clients?.budget;
      if (budget === undefined || budget.tryTake()) run();
      else if (budget.waitingCount < WAITING_WORK_MAX) void budget.nextTurn().then(run);
      else this.#shed(from, requestEpoch, requestId, budget.waitingCount);
    });
    this.#dispatcher.register("forwarding", forwarding, "forwardReply", (from, message) => {
      if (message.type === "forwardReply") this.#forwarder.onReply(from, message);
    });
  }

  /** A subsystem's peer handlers and disconnect hook. */
  #plugIn(subsystem: Subsystem): void {
    const peer = subsystem.peerHandlers;
    for (const [type, handler] of peer?.handlers ?? []) {
      this.#dispatcher.register(subsystem.name, peer!.range, type, handler);
    }
    const hook = subsystem.onPeerDisconnected;
    if (hook !== undefined) this.#disconnectHooks.push((peerId) => hook.call(subsystem, peerId));
  }

  #buildServices(meta: MetaGroup): NodeServices {
    const nowMs = () => performance.now();
    return {
      config: this.config,
      logger: this.#logger,
      acl: this.#security.service,
      nowMs,
      startedAtMs: nowMs(),
      stats: this.#stats,
      sessions: () => this.#clients?.sessions() ?? [],
      cluster: new MetaClusterView(
        this.config,
        meta,
        this.#transport,
      ),
      proposeNoop: (payload) => meta.proposeCommand({ op: "noop", payload }).then(() => {}),
      proposeNoopInGroup: (groupId, payload) => this.#proposeNoopInGroup(meta, groupId, payload),
      raftGroups: () =>
        [...this.#raftGroups.entries()].map(([groupId, host]) => {
          const slot = slotOfGroup(groupId, meta.slotCount());
          const purpose = groupId === META_GROUP_ID
            ? "meta" as const
            : slot === null
            ? "debug" as const
            : "slot" as const;
          return { groupId, purpose, slot, status: host.status() };
        }).sort((a, b) => a.groupId - b.groupId),
      slotCount: () => meta.slotCount(),
      committedEntries: (fromIndex, countMax) => readCommittedEntries(meta, fromIndex, countMax),
      disk: () => {
        const state = meta.log.diskState();
        return {
          full: state.full,
          fullForMs: state.fullForMs,
          noSpaceRefusals: meta.host.noSpaceRefusals,
        };
      },
      infoSections: () =>
        new Map([
          ...this.#subsystems.flatMap((subsystem) =>
            (subsystem.infoSections ?? []).map((section) =>
              [section.name, section.fields()] as [string, Array<[string, string | number]>]
            )
          ),
          ["persistence", persistenceSection(meta)],
          ["raft", raftGroupsSection(this.#raftGroups)],
          ["slots", slotsSection(this.config.id, meta, this.#slotGroups)],
        ]),
    };
  }

  /** The restore files of the data dir (`dsync restore`), checked against this node's flags. */
  async #restoreSeed(): Promise<RestoreSeed | null> {
    const seed = await loadRestoreSeed(this.config.dataDir, this.config.id);
    if (seed === null) return null;
    if (seed.slotCount !== this.config.slotCount) {
      throw new Error(
        `Cannot start: data dir ${this.config.dataDir} was restored from a backup of ` +
          `${seed.slotCount} slots; start every node with --slots ${seed.slotCount}`,
      );
    }
    this.#logger.info("seeding empty groups from a restored backup", {
      from: seed.info.fromCluster,
      backupNode: seed.info.fromNode,
      slots: seed.slotCount,
    });
    return seed;
  }

  /** BACKUP META/SLOT: images of groups replicated here, after a read barrier. */
  #backupSource(meta: MetaGroup): BackupSource {
    return {
      slotCount: () => meta.slotCount(),
      images: new ImageStore(() => performance.now()),
      take: async (slot) => {
        const host = slot === null ? meta.host : this.#slotGroups?.host(slot);
        const what = slot === null ? "the meta group" : `slot ${slot}`;
        if (host === undefined || !host.status().confState.voters.includes(this.config.id)) {
          throw new ClusterError("TRYAGAIN", `${what} has no voting replica on this node`);
        }
        await host.readBarrier();
        return host.snapshotImage();
      },
    };
  }

  /** What `/health` judges this node's readiness from (src/metrics/readiness.ts). */
  #readinessInput(meta: MetaGroup, services: NodeServices): ReadinessInput {
    const me = this.config.id;
    const nowMs = performance.now();
    const leaderlessSince = this.#leaderlessSinceMs;
    const seen = new Set<number>();
    const groups = services.raftGroups().flatMap((group) => {
      if (group.purpose === "debug") return [];
      seen.add(group.groupId);
      const leaderId = group.status.leaderId;
      if (leaderId !== null) leaderlessSince.delete(group.groupId);
      else if (!leaderlessSince.has(group.groupId)) leaderlessSince.set(group.groupId, nowMs);
      return [{
        groupId: group.groupId,
        purpose: group.purpose,
        leaderId,
        commitIndex: group.status.commitIndex,
        appliedIndex: group.status.appliedIndex,
        voter: group.status.confState.voters.includes(me),
        leaderlessForMs: nowMs - (leaderlessSince.get(group.groupId) ?? nowMs),
      }];
    });
    for (const groupId of leaderlessSince.keys()) {
      if (!seen.has(groupId)) leaderlessSince.delete(groupId);
    }
    return {
      nodeId: me,
      groups,
      metaQuorumReachable: meta.quorumReachable(),
      isUp: (id) => this.#transport.isUp(id),
      diskFull: meta.log.diskState().full,
      slotsPlacedHere: meta.state.placement?.slots.filter((slot) => slot.replicas.includes(me))
        .length ?? null,
    };
  }

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

  /** Refuses a forwarded command at once while too much client work waits (load shedding). */
  #shed(to: string, requestEpoch: number, requestId: number, waitingCount: number): void {
    this.#stats.requestsShed++;
    const out = new RespWriter(128);
    out.error(
      `LIMIT node overloaded: ${waitingCount} requests already wait for a turn; retry later`,
    );
    this.#transport.send(to, {
      type: "forwardReply",
      requestEpoch,
      requestId,
      reply: out.bytes().slice(),
    });
  }
}
