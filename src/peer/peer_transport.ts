import {
  answerHandshake,
  createHandshake,
  DEFAULT_FRAME_BYTES_MAX,
  type PeerMessage,
  type PeerMessageOf,
  readHandshakeAnswer,
} from "../../protocol/peer/mod.ts";
import type { Logger } from "../log/logger.ts";
import { formatHostPort, type HostPort } from "../util/host_port.ts";
import { backoffDelayMs, type BackoffPolicy, DEFAULT_BACKOFF } from "./backoff.ts";
import { FailureDetector, type PeerHealth } from "./failure_detector.ts";
import {
  DialError,
  dialMutualTls,
  listenMutualTls,
  type MutualTlsListener,
} from "../util/mutual_tls.ts";
import { PeerConnection } from "./peer_connection.ts";

/** Settings of the peer transport. */
export interface PeerTransportOptions {
  nodeId: string;
  clusterId: string;
  listen: HostPort;
  /** This node's client address, told to peers in the handshake. */
  clientAddress: string;
  /**
   * Mutual TLS for peer links: both sides present a certificate from the CA that names their
   * node id, and the Handshake's node id must match the certificate's.
   */
  tls?: { certPem: string; keyPem: string; caPem: string };
  /** This node's data-directory incarnation id (known once storage is open). */
  incarnationId: () => string;
  /**
   * Refusal message when `peerId` presents an incarnation other than the one the cluster
   * recorded for it (its disk was replaced), else null.
   */
  checkIncarnation: (peerId: string, incarnationId: string) => string | null;
  /** Other members and their peer addresses (this node excluded). */
  peers: Map<string, HostPort>;
  heartbeatIntervalMs: number;
  failureTimeoutMs: number;
  handshakeTimeoutMs?: number;
  sendQueueBytesMax?: number;
  frameBytesMax?: number;
  backoff?: BackoffPolicy;
  logger: Logger;
  nowMs: () => number;
}

/** What the transport knows of one member. */
export interface PeerView {
  id: string;
  peerAddress: string;
  clientAddress: string;
  /** The incarnation id the peer presented at its last handshake ("" before any). */
  incarnationId: string;
  health: PeerHealth;
}

interface PeerLink {
  id: string;
  address: HostPort;
  clientAddress: string;
  incarnationId: string;
  connection: PeerConnection | null;
  heartbeatSequence: number;
  lastState: "up" | "down";
  /** Set when the member was removed: its dial loop ends. */
  removed: boolean;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 2_000;
/** Most removed member ids remembered to be told they were removed. */
const REMOVED_IDS_MAX = 1024;
/** How a HandshakeReject's message begins when the receiver was removed from the cluster. */
const REMOVED_NOTICE_PREFIX = "removed from the cluster:";

/** The HandshakeReject telling node `id` it is no longer a member. */
function removedReject(id: string): PeerMessageOf<"handshakeReject"> {
  return {
    type: "handshakeReject",
    reason: "unknownNode",
    message: `${REMOVED_NOTICE_PREFIX} node '${id}' is no longer a member`,
  };
}
const DEFAULT_SEND_QUEUE_BYTES_MAX = 8 * 1024 * 1024;

/**
 * One connection per pair of nodes (the node with the smaller id dials), a handshake that
 * refuses peers of another cluster or protocol version, reconnect with capped exponential
 * backoff and jitter, bounded send queues, heartbeats and a failure detector.
 */
export class PeerTransport {
  /** Receives every non-control message from a handshaken peer. */
  onMessage: (from: string, message: PeerMessage) => void = () => {};
  /** Called when the connection to a peer closes (it may have crashed). */
  onPeerDisconnected: (peerId: string) => void = () => {};
  /** Called when a handshaken connection to a peer is up (first time, or again). */
  onPeerConnected: (peerId: string) => void = () => {};
  /** Called when the failure detector's view of a peer turns from up to down (any reason). */
  onPeerDown: (peerId: string) => void = () => {};
  /** Called once, when a member tells this node it was removed from the cluster. */
  onRemoved: (byPeer: string, message: string) => void = () => {};
  readonly #options: PeerTransportOptions;
  readonly #logger: Logger;
  readonly #links = new Map<string, PeerLink>();
  readonly #detector: FailureDetector;
  readonly #stop = new AbortController();
  #listener: Deno.Listener | MutualTlsListener | null = null;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  /**
   * Members removed while this process ran, by id, with the data-directory incarnation they had:
   * told so when that same incarnation connects again (oldest dropped first). A wiped node that
   * joins again under the same id has a new incarnation and is not turned away.
   */
  readonly #removedIds = new Map<string, string>();
  #toldRemoved = false;

  #started = false;

  constructor(options: PeerTransportOptions) {
    this.#options = options;
    this.#logger = options.logger.with({ component: "peer" });
    this.#detector = new FailureDetector(options.failureTimeoutMs, options.heartbeatIntervalMs);
    for (const [id, address] of options.peers) this.addPeer(id, address);
  }

  /** Switches peer links to TLS (before start); undefined keeps plain TCP. */
  useTls(tls: PeerTransportOptions["tls"]): void {
    if (this.#started) throw new Error("useTls() must come before start()");
    if (tls !== undefined) this.#options.tls = tls;
  }

  /** Binds the peer port, starts dialing and heartbeats; rejects if the port is in use. */
  async start(): Promise<void> {
    const { host, port } = this.#options.listen;
    const tls = this.#options.tls;
    if (tls === undefined) {
      const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
      this.#listener = listener;
      void this.#acceptLoop(listener);
    } else {
      this.#listener = await listenMutualTls(
        this.#options.listen,
        tls,
        (conn) => void this.#accept(new PeerConnection(conn, this.#limits(), conn.peerNodeId())),
        (remote, reason) => this.#logger.warn("refused peer TLS connection", { remote, reason }),
      );
    }
    this.#started = true;
    for (const link of this.#links.values()) this.#maybeDial(link);
    this.#detector.loopProbe(this.#options.nowMs());
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#options.heartbeatIntervalMs);
  }

  /** Adds (or re-addresses) a member; connects to it when this node is the dialing side. */
  addPeer(id: string, address: HostPort): void {
    if (id === this.#options.nodeId) return;
    this.#removedIds.delete(id);
    const existing = this.#links.get(id);
    if (existing !== undefined) {
      if (formatHostPort(existing.address) === formatHostPort(address)) return;
      existing.address = address;
      existing.connection?.close("peer address changed");
      return;
    }
    const link: PeerLink = {
      id,
      address,
      clientAddress: "",
      incarnationId: "",
      connection: null,
      heartbeatSequence: 0,
      lastState: "down",
      removed: false,
    };
    this.#links.set(id, link);
    if (this.#started) this.#maybeDial(link);
  }

  /**
   * Forgets a removed member and closes its connection. With `tellRemoved` (only when the
   * removal is certain to be the latest membership), the node is first told it was removed, and
   * told again if it connects later, so that it stops instead of retrying for ever.
   */
  removePeer(id: string, options: { tellRemoved?: boolean } = {}): void {
    const link = this.#links.get(id);
    if (link === undefined) return;
    link.removed = true;
    this.#links.delete(id);
    if (options.tellRemoved) {
      this.#rememberRemoved(id, link.incarnationId);
      link.connection?.send(removedReject(id));
      link.connection?.end("member removed");
    } else {
      link.connection?.close("member removed");
    }
    this.#detector.forget(id);
  }

  #rememberRemoved(id: string, incarnationId: string): void {
    this.#removedIds.delete(id);
    if (incarnationId === "") return; // never connected: nothing to recognise it by
    this.#removedIds.set(id, incarnationId);
    if (this.#removedIds.size > REMOVED_IDS_MAX) {
      this.#removedIds.delete(this.#removedIds.keys().next().value!);
    }
  }

  /** Reports a removal notice from `byPeer` once; true when `message` is one. */
  #noteRemoval(byPeer: string, message: string): boolean {
    if (!message.startsWith(REMOVED_NOTICE_PREFIX)) return false;
    if (!this.#toldRemoved) {
      this.#toldRemoved = true;
      this.onRemoved(byPeer, message);
    }
    return true;
  }

  /** True while `id` has a handshaken connection and the failure detector sees it up. */
  isUp(id: string): boolean {
    return this.#detector.health(id, this.#options.nowMs()).state === "up";
  }

  /** How long `id` has been silent (see `FailureDetector.silenceMs`); Infinity while down. */
  silenceMs(id: string): number {
    return this.#detector.silenceMs(id, this.#options.nowMs());
  }

  /** True when `id` is a known peer. */
  hasPeer(id: string): boolean {
    return this.#links.has(id);
  }

  #maybeDial(link: PeerLink): void {
    if (this.#options.nodeId < link.id) void this.#dialLoop(link);
  }

  /** Queues a message to a peer; false if it is unknown, not connected or its queue is full. */
  send(peerId: string, message: PeerMessage): boolean {
    return this.#links.get(peerId)?.connection?.send(message) ?? false;
  }

  /** Every known peer with its health. */
  peers(): PeerView[] {
    const now = this.#options.nowMs();
    return [...this.#links.values()].map((link) => ({
      id: link.id,
      peerAddress: formatHostPort(link.address),
      clientAddress: link.clientAddress,
      incarnationId: link.incarnationId,
      health: this.#detector.health(link.id, now),
    }));
  }

  /** Stops everything: listener, dialers, connections, timers. */
  close(): void {
    this.#stop.abort();
    clearInterval(this.#heartbeatTimer);
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    for (const link of this.#links.values()) link.connection?.close("node stopping");
  }

  #limits() {
    return {
      frameBytesMax: this.#options.frameBytesMax ?? DEFAULT_FRAME_BYTES_MAX,
      sendQueueBytesMax: this.#options.sendQueueBytesMax ?? DEFAULT_SEND_QUEUE_BYTES_MAX,
    };
  }

  async #dialLoop(link: PeerLink): Promise<void> {
    const policy = this.#options.backoff ?? DEFAULT_BACKOFF;
    let attempt = 0;
    while (!this.#stop.signal.aborted && !link.removed) {
      const connected = await this.#dialOnce(link);
      if (connected) {
        attempt = 0;
        const reason = await link.connection!.closed;
        this.#detach(link, reason);
      } else {
        attempt++;
      }
      await abortableSleep(backoffDelayMs(policy, attempt, Math.random()), this.#stop.signal);
    }
  }

  async #dialOnce(link: PeerLink): Promise<boolean> {
    let connection: PeerConnection;
    try {
      const { host, port } = link.address;
      const tls = this.#options.tls;
      connection = tls === undefined
        ? new PeerConnection(await Deno.connect({ hostname: host, port }), this.#limits())
        : new PeerConnection(
          await dialMutualTls(link.address, tls, link.id, this.#handshakeTimeoutMs()),
          this.#limits(),
          link.id,
        );
    } catch (error) {
      if (error instanceof DialError && error.tls) {
        this.#logger.error("peer TLS handshake failed", { peer: link.id, detail: error.message });
      }
      return false;
    }
    connection.send(createHandshake({
      clusterId: this.#options.clusterId,
      nodeId: this.#options.nodeId,
      peerAddress: formatHostPort(this.#options.listen),
      clientAddress: this.#options.clientAddress,
      incarnationId: this.#options.incarnationId(),
    }));
    const answer = await firstMessage(connection, this.#handshakeTimeoutMs());
    let outcome = answer === null
      ? { ok: false as const, reason: "timeout", message: "handshake failed: no answer in time" }
      : readHandshakeAnswer(answer, link.id);
    if (outcome.ok) {
      const stale = this.#options.checkIncarnation(link.id, outcome.incarnationId);
      if (stale === null) {
        this.#attach(link, connection, outcome.clientAddress, outcome.incarnationId);
        return true;
      }
      outcome = { ok: false as const, reason: "staleIncarnation", message: stale };
    }
    if (answer?.type === "handshakeReject" && this.#noteRemoval(link.id, answer.message)) {
      connection.close("removed from the cluster");
      return false;
    }
    this.#logger.error("peer handshake failed", {
      peer: link.id,
      reason: outcome.reason,
      detail: outcome.message,
    });
    connection.close("handshake failed");
    return false;
  }

  #handshakeTimeoutMs(): number {
    return this.#options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    try {
      for await (const conn of listener) {
        void this.#accept(new PeerConnection(conn, this.#limits()));
      }
    } catch (error) {
      if (!this.#stop.signal.aborted) {
        this.#logger.error("peer listener failed", { error: String(error) });
      }
    }
  }

  async #accept(connection: PeerConnection): Promise<void> {
    const hello = await firstMessage(connection, this.#handshakeTimeoutMs());
    if (hello === null || hello.type !== "handshake") {
      this.#logger.warn("refused peer connection", {
        remote: connection.remoteAddress,
        reason: "malformed",
        detail: hello === null ? "no handshake in time or undecodable bytes" : `sent ${hello.type}`,
      });
      connection.close("no handshake");
      return;
    }
    const refusal = this.#checkCertificate(connection, hello.nodeId) ??
      (this.#removedIds.get(hello.nodeId) === hello.incarnationId && !this.#links.has(hello.nodeId)
        ? removedReject(hello.nodeId)
        : null);
    const answer = refusal !== null ? refusal : answerHandshake(
      {
        clusterId: this.#options.clusterId,
        nodeId: this.#options.nodeId,
        knownNodeIds: new Set(this.#links.keys()),
        clientAddress: this.#options.clientAddress,
        incarnationId: this.#options.incarnationId(),
        checkIncarnation: this.#options.checkIncarnation,
      },
      hello,
    );
    const link = this.#links.get(hello.nodeId);
    connection.send(answer);
    if (answer.type === "handshakeReject" || link === undefined) {
      this.#logger.warn("refused peer handshake", {
        remote: connection.remoteAddress,
        reason: answer.type === "handshakeReject" ? answer.reason : "unknownNode",
        detail: answer.type === "handshakeReject" ? answer.message : hello.nodeId,
      });
      connection.end("handshake rejected");
      return;
    }
    link.connection?.close("replaced by a new connection");
    this.#attach(link, connection, hello.clientAddress, hello.incarnationId);
    void connection.closed.then((reason) => this.#detach(link, reason, connection));
  }

  /** With TLS, a HandshakeReject when the Handshake's node id is not the certificate's. */
  #checkCertificate(
    connection: PeerConnection,
    claimedId: string,
  ): PeerMessageOf<"handshakeReject"> | null {
    if (this.#options.tls === undefined || connection.certificateNodeId === claimedId) return null;
    return {
      type: "handshakeReject",
      reason: "unknownNode",
      message: `certificate names node '${connection.certificateNodeId ?? "(none)"}' ` +
        `but the handshake claims '${claimedId}'`,
    };
  }

  #attach(
    link: PeerLink,
    connection: PeerConnection,
    clientAddress: string,
    incarnationId: string,
  ): void {
    link.connection = connection;
    link.clientAddress = clientAddress;
    link.incarnationId = incarnationId;
    this.#detector.connected(link.id, this.#options.nowMs());
    connection.onMessage = (message) => this.#receive(link, message);
    const backlog = connection.backlog;
    connection.backlog = [];
    for (const message of backlog) this.#receive(link, message);
    this.#noteState(link);
    this.onPeerConnected(link.id);
  }

  #detach(link: PeerLink, reason: string, connection?: PeerConnection): void {
    if (connection !== undefined && link.connection !== connection) return;
    link.connection = null;
    this.#detector.disconnected(link.id);
    this.#noteState(link, reason);
    this.onPeerDisconnected(link.id);
  }

  #receive(link: PeerLink, message: PeerMessage): void {
    this.#detector.contact(link.id, this.#options.nowMs());
    switch (message.type) {
      case "heartbeat":
        link.connection?.send({
          type: "heartbeatAck",
          sequence: message.sequence,
          echoedSentAtMs: message.sentAtMs,
        });
        return;
      case "heartbeatAck":
        return;
      case "handshakeReject":
        if (this.#noteRemoval(link.id, message.message)) {
          link.connection?.close("removed from the cluster");
          return;
        }
        link.connection?.close(`unexpected ${message.type} after handshake`);
        return;
      case "handshake":
      case "handshakeAccept":
        link.connection?.close(`unexpected ${message.type} after handshake`);
        return;
      default:
        this.onMessage(link.id, message);
    }
  }

  #heartbeat(): void {
    // Runs every heartbeat interval: it is also the detector's probe of this node's own loop.
    this.#detector.loopProbe(this.#options.nowMs());
    const now = Math.floor(this.#options.nowMs());
    for (const link of this.#links.values()) {
      link.connection?.send({
        type: "heartbeat",
        sequence: ++link.heartbeatSequence,
        sentAtMs: now,
      });
      this.#noteState(link);
    }
  }

  /** Logs up/down transitions once each and reports each down transition. */
  #noteState(link: PeerLink, reason?: string): void {
    const health = this.#detector.health(link.id, this.#options.nowMs());
    if (health.state === link.lastState) return;
    link.lastState = health.state;
    if (health.state === "up") {
      this.#logger.info("peer up", { peer: link.id });
      return;
    }
    this.#logger.warn("peer down", { peer: link.id, reason: reason ?? "no contact in time" });
    this.onPeerDown(link.id);
  }
}

/** The first message on a connection, or null on timeout/close/garbage. */
function firstMessage(connection: PeerConnection, timeoutMs: number): Promise<PeerMessage | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    connection.onMessage = (message) => {
      clearTimeout(timer);
      connection.onMessage = (later) => connection.backlog.push(later);
      resolve(message);
    };
    void connection.closed.then(() => {
      clearTimeout(timer);
      resolve(null);
    });
  });
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
