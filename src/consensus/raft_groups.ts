import { decodeRaftMessage, type Message } from "../raft/mod.ts";
import type { Logger } from "../log/logger.ts";

/** What RaftGroups needs of a hosted group (RaftHost of any state machine). */
export interface HostedGroup {
  tick(): void;
  receive(message: Message): void;
  close(): void;
  leaderUnreachable(peerId: string): void;
  reportUnreachable(peerId: string): void;
}

/** Raft groups hosted by this node at most. */
export const RAFT_GROUPS_MAX = 100_000;

/**
 * Every Raft group on this node: one clock ticks them all, incoming Raft frames are routed by
 * group id, and a peer's lost connection is reported to each group.
 */
export class RaftGroups {
  readonly #nodeId: string;
  readonly #tickMs: number;
  readonly #logger: Logger;
  readonly #hosts = new Map<number, HostedGroup>();
  #ticker: ReturnType<typeof setInterval> | undefined;

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
  }

  /** The host of `groupId`, if this node runs it. */
  get(groupId: number): HostedGroup | undefined {
    return this.#hosts.get(groupId);
  }

  /** Number of groups. */
  get size(): number {
    return this.#hosts.size;
  }

  /** Starts the shared clock. */
  start(): void {
    this.#ticker = setInterval(() => {
      for (const host of this.#hosts.values()) host.tick();
    }, this.#tickMs);
  }

  /** Stops the clock and every group. */
  stop(): void {
    clearInterval(this.#ticker);
    for (const host of this.#hosts.values()) host.close();
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

  /** The connection to `peerId` closed: groups it led campaign soon. */
  peerDisconnected(peerId: string): void {
    for (const host of this.#hosts.values()) host.leaderUnreachable(peerId);
  }

  /** The transport could not take messages of `groupId` for `peerId`. */
  unreachable(peerId: string, groupId: number): void {
    this.#hosts.get(groupId)?.reportUnreachable(peerId);
  }
}
