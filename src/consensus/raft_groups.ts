import { decodeRaftMessage, type Message, type RaftStatus } from "../raft/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { PeerMessage } from "../../protocol/peer/mod.ts";

/** What RaftGroups needs of a hosted group (RaftHost of any state machine). */
export interface HostedGroup {
  /** True when ticks would do nothing until a message, request or peer-down wakes the group. */
  readonly quiet: boolean;
  /** True while this node leads the group. */
  readonly leading: boolean;
  /** The leader this node knows of, or null (cheap: for per-command routing). */
  readonly leaderId: string | null;
  /** Set by RaftGroups: the host calls it whenever the group may have woken. */
  onWake: () => void;
  /** Set by RaftGroups: the host calls it when it learns of a leader other than the last. */
  onLeaderKnown: (leaderId: string) => void;
  tick(): void;
  receive(message: Message): void;
  close(): void;
  leaderUnreachable(peerId: string): void;
  reportUnreachable(peerId: string): void;
  /** The peer `peerId` connected (RaftHost.peerConnected). */
  peerConnected(peerId: string): void;
  /** The core's status (CLUSTER GROUPS). */
  status(): RaftStatus;
}

/** Raft groups hosted by this node at most. */
export const RAFT_GROUPS_MAX = 100_000;

/**
 * Every Raft group on this node: one clock ticks the active ones (a quiet group leaves the tick
 * set until something wakes it, so an idle group costs nothing per tick), incoming Raft frames
 * are routed by group id, and a peer's node going down is reported to each group.
 */
export class RaftGroups {
  readonly #nodeId: string;
  readonly #tickMs: number;
  readonly #logger: Logger;
  readonly #hosts = new Map<number, HostedGroup>();
  /** Groups ticked by the clock: every group that is not quiet. */
  readonly #active = new Set<HostedGroup>();
  #ticker: ReturnType<typeof setInterval> | undefined;
  /** Called when a hosted group learns of a new leader (see `HostedGroup.onLeaderKnown`). */
  onLeaderKnown: (groupId: number, leaderId: string) => void = () => {};

  constructor(nodeId: string, tickMs: number, logger: Logger) {
    this.#nodeId = nodeId;
    this.#tickMs = tickMs;
    this.#logger = logger.with({ component: "raft" });
  }

  /** Registers a group; throws if its id is taken or the maximum is reached. */
  add(groupId: number, host: HostedGroup): void {
    if (this.#hosts.has(groupId)) throw new Error(`Raft group ${groupId} is already hosted`);
    if (this.#hosts.size >= RAFT_GROUPS_MAX) {
      throw new RangeError(`Cannot host more than ${RAFT_GROUPS_MAX} Raft groups`);
    }
    this.#hosts.set(groupId, host);
    host.onWake = () => this.#active.add(host);
    host.onLeaderKnown = (leaderId) => this.onLeaderKnown(groupId, leaderId);
    this.#active.add(host);
  }

  /** Stops and forgets group `groupId` (its storage is the caller's); no-op when not hosted. */
  remove(groupId: number): void {
    const host = this.#hosts.get(groupId);
    if (host === undefined) return;
    this.#hosts.delete(groupId);
    this.#active.delete(host);
    host.onWake = () => {};
    host.onLeaderKnown = () => {};
    host.close();
  }

  /** The host of `groupId`, if this node runs it. */
  get(groupId: number): HostedGroup | undefined {
    return this.#hosts.get(groupId);
  }

  /** Every hosted group by id (for listings, not hot paths). */
  entries(): IterableIterator<[number, HostedGroup]> {
    return this.#hosts.entries();
  }

  /** Number of groups. */
  get size(): number {
    return this.#hosts.size;
  }

  /** Number of groups the clock ticks (not quiet). */
  get activeCount(): number {
    return this.#active.size;
  }

  /** Number of groups this node leads (walks every group: for INFO, not hot paths). */
  leadingCount(): number {
    let count = 0;
    for (const host of this.#hosts.values()) if (host.leading) count++;
    return count;
  }

  /** Ticks every active group once; quiet ones leave the set (public for tests). */
  tickActive(): void {
    for (const host of this.#active) {
      host.tick();
      if (host.quiet) this.#active.delete(host);
    }
  }

  /** Starts the shared clock. */
  start(): void {
    this.#ticker = setInterval(() => this.tickActive(), this.#tickMs);
  }

  /** Stops the clock and every group. */
  stop(): void {
    clearInterval(this.#ticker);
    for (const host of this.#hosts.values()) host.close();
  }

  /** Routes a Raft or RaftBatch frame from `from` to its groups (other frame types: ignored). */
  receiveFrame(from: string, frame: PeerMessage): void {
    if (frame.type === "raft") this.receive(from, frame.groupId, frame.payload);
    if (frame.type !== "raftBatch") return;
    for (const item of frame.items) this.receive(from, item.groupId, item.payload);
  }

  /** Routes one Raft message from `from`; malformed or misaddressed ones are dropped and logged. */
  receive(from: string, groupId: number, payload: Uint8Array): void {
    const host = this.#hosts.get(groupId);
    if (host === undefined) return;
    let message;
    try {
      message = decodeRaftMessage(payload);
    } catch (error) {
      this.#logger.warn("dropped undecodable raft message", { peer: from, error: String(error) });
      return;
    }
    if (message.from !== from || message.to !== this.#nodeId || message.groupId !== groupId) {
      this.#logger.warn("dropped misaddressed raft message", { peer: from, group: groupId });
      return;
    }
    host.receive(message);
  }

  /** The node `peerId` went down (connection closed or failure timeout): groups it led, quiet
   * or not, campaign soon. */
  peerDisconnected(peerId: string): void {
    for (const host of this.#hosts.values()) host.leaderUnreachable(peerId);
  }

  /** The node `peerId` connected (maybe restarted empty): quiet groups it is in heartbeat again. */
  peerConnected(peerId: string): void {
    for (const host of this.#hosts.values()) host.peerConnected(peerId);
  }

  /** The transport could not take messages of `groupId` for `peerId`. */
  unreachable(peerId: string, groupId: number): void {
    this.#hosts.get(groupId)?.reportUnreachable(peerId);
  }
}
