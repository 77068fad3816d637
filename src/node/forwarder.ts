import { type PeerMessage, type PeerMessageOf, U32_MAX } from "../../protocol/peer/mod.ts";
import { ClusterError } from "../consensus/cluster_error.ts";

/** Forwarded requests waiting for their reply, at most. */
export const FORWARDS_PENDING_MAX = 10_000;

interface PendingForward {
  to: string;
  resolve: (reply: Uint8Array) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Where a forwarded command runs: its Raft group, and the wait parked for it here (0: none). */
export interface ForwardTarget {
  groupId: number;
  parkedWaitId: number;
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
   * Runs `args` on node `to`, the leader of `target.groupId`, as ACL user `user` (empty: this
   * node's own call); resolves with its RESP2-encoded reply. Copies `args` at once.
   */
  forward(
    to: string,
    args: Uint8Array[],
    timeoutMs: number,
    target: ForwardTarget,
    user = "",
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
      user,
    });
    if (!sent) {
      return Promise.reject(new ClusterError("TRYAGAIN", `leader ${to} is not reachable`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new ClusterError("TIMEOUT", `no reply from ${to} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(requestId, { to, resolve, reject, timer });
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
   * The connection to `peerId` closed: its pending forwards fail with TIMEOUT (the command may or
   * may not have run there) instead of waiting for the full request timeout.
   */
  peerLost(peerId: string): void {
    for (const [requestId, pending] of this.#pending) {
      if (pending.to !== peerId) continue;
      this.#pending.delete(requestId);
      clearTimeout(pending.timer);
      pending.reject(
        new ClusterError("TIMEOUT", `lost the connection to ${peerId}; the outcome is unknown`),
      );
    }
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
