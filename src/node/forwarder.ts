import { type PeerMessage, type PeerMessageOf, U32_MAX } from "../../protocol/peer/mod.ts";
import { ClusterError } from "../consensus/cluster_error.ts";

/** Forwarded requests waiting for their reply, at most. */
export const FORWARDS_PENDING_MAX = 10_000;

interface PendingForward {
  to: string;
  groupId: number;
  /** True for a read-only command: sending it again elsewhere changes nothing. */
  readonly: boolean;
  resolve: (reply: Uint8Array) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Where a forwarded command runs: its Raft group, and the wait parked for it here (0: none). */
export interface ForwardTarget {
  groupId: number;
  parkedWaitId: number;
}

/** What the caller says about a forwarded command. */
export interface ForwardOptions {
  /** ACL user the client authenticated as on this node (empty: this node's own call). */
  user?: string;
  /**
   * True for a read-only command: when its node stops being the right place before it answers,
   * it fails with TRYAGAIN (nothing can have changed), not TIMEOUT (a write may have run).
   */
  readonly?: boolean;
}

/** A random u32 request epoch for this process (see `Forwarder`). */
export function newRequestEpoch(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/**
 * Sends client commands to another node (a group's leader) and matches the replies.
 *
 * A request is named by (`requestEpoch`, `requestId`): the epoch is drawn at random when the
 * process starts, the id counts from 1. A reply is taken only from the peer the request went to
 * and only for this process's epoch, so the leader's late reply to the process before a restart
 * (which counted from 1 too) is dropped instead of answering an unrelated new request.
 *
 * A pending forward does not wait out its timeout once its node is known not to answer in time:
 * the connection closed or the failure detector marked the node down (`peerGone`),
 * or another node is known to lead the group it was sent for while the node asked has gone
 * silent (`leaderChanged`: it was stopped or cut off, so it was replaced). It then fails at
 * once: a read-only command with TRYAGAIN (safe to send again), any other with TIMEOUT (the old
 * leader may have replicated it, and the new one may still commit it: the outcome is unknown).
 * Its reply, should it come later, is dropped like any late reply.
 */
export class Forwarder {
  readonly #send: (to: string, message: PeerMessage) => boolean;
  readonly #requestEpoch: number;
  readonly #pending = new Map<number, PendingForward>();
  #nextRequestId = 1;

  /** `requestEpoch`: a u32 that differs, with high probability, from the previous process's. */
  constructor(send: (to: string, message: PeerMessage) => boolean, requestEpoch: number) {
    if (!Number.isInteger(requestEpoch) || requestEpoch < 0 || requestEpoch > U32_MAX) {
      throw new RangeError(`Cannot forward: request epoch ${requestEpoch} is not a u32`);
    }
    this.#send = send;
    this.#requestEpoch = requestEpoch;
  }

  /**
   * Runs `args` on node `to`, the leader of `target.groupId` (see `ForwardOptions`); resolves
   * with its RESP2-encoded reply. Copies `args` at once.
   */
  forward(
    to: string,
    args: Uint8Array[],
    timeoutMs: number,
    target: ForwardTarget,
    options: ForwardOptions = {},
  ): Promise<Uint8Array> {
    if (this.#pending.size >= FORWARDS_PENDING_MAX) {
      return Promise.reject(
        new ClusterError("TRYAGAIN", `${FORWARDS_PENDING_MAX} forwarded requests already pending`),
      );
    }
    const requestId = this.#nextRequestId++;
    const copied = args.map((arg) => arg.slice());
    const sent = this.#send(to, {
      type: "forwardRequest",
      requestEpoch: this.#requestEpoch,
      requestId,
      timeoutMs,
      groupId: target.groupId,
      parkedWaitId: target.parkedWaitId,
      args: copied,
      user: options.user ?? "",
    });
    if (!sent) {
      return Promise.reject(new ClusterError("TRYAGAIN", `leader ${to} is not reachable`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new ClusterError("TIMEOUT", `no reply from ${to} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(requestId, {
        to,
        groupId: target.groupId,
        readonly: options.readonly ?? false,
        resolve,
        reject,
        timer,
      });
    });
  }

  /**
   * A ForwardReply arrived from peer `from`. Dropped unless it answers a pending request of this
   * process (same epoch) that went to `from`: late replies, replies meant for the process before
   * a restart, and replies from another peer.
   */
  onReply(from: string, message: PeerMessageOf<"forwardReply">): void {
    if (message.requestEpoch !== this.#requestEpoch) return;
    const pending = this.#pending.get(message.requestId);
    if (pending === undefined || pending.to !== from) return;
    this.#pending.delete(message.requestId);
    clearTimeout(pending.timer);
    pending.resolve(message.reply);
  }

  /**
   * Peer `peerId` will not answer in time (its connection closed, or the failure detector marked
   * it down; `why` says which): its pending forwards fail now (see the class). Returns how many.
   */
  peerGone(peerId: string, why: string): number {
    return this.#failWhere((pending) => pending.to === peerId, why);
  }

  /**
   * This node learned that `leaderId` leads group `groupId`: forwards of that group pending at
   * another node that `silent` says stopped talking fail now (see the class). A replaced leader
   * that still talks (a leadership transfer, a leader that lost its majority but not this node)
   * answers them itself, with the result or a refusal, so they keep waiting. Returns how many
   * failed.
   */
  leaderChanged(groupId: number, leaderId: string, silent: (peerId: string) => boolean): number {
    return this.#failWhere(
      (pending) => pending.groupId === groupId && pending.to !== leaderId && silent(pending.to),
      `the leader of group ${groupId} went silent and ${leaderId} replaced it`,
    );
  }

  /** Forwards waiting for their reply now. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  #failWhere(matches: (pending: PendingForward) => boolean, why: string): number {
    let failed = 0;
    for (const [requestId, pending] of this.#pending) {
      if (!matches(pending)) continue;
      this.#pending.delete(requestId);
      clearTimeout(pending.timer);
      failed++;
      pending.reject(
        pending.readonly
          ? new ClusterError("TRYAGAIN", `${why} before it answered; retry`)
          : new ClusterError("TIMEOUT", `${why} before it answered; the outcome is unknown`),
      );
    }
    return failed;
  }

  /** Fails every pending forward (node stopping): TIMEOUT, it may have run on the leader. */
  close(): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ClusterError("TIMEOUT", "node is shutting down; the outcome is unknown"));
    }
    this.#pending.clear();
  }
}
