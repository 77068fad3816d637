import type { PeerMessage } from "../../protocol/peer/mod.ts";
import { ClusterError } from "../consensus/cluster_error.ts";

/** Forwarded requests waiting for their reply, at most. */
export const FORWARDS_PENDING_MAX = 10_000;

interface PendingForward {
  to: string;
  resolve: (reply: Uint8Array) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Sends client commands to another node (the leader) and matches the replies. */
export class Forwarder {
  readonly #send: (to: string, message: PeerMessage) => boolean;
  readonly #pending = new Map<number, PendingForward>();
  #nextRequestId = 1;

  constructor(send: (to: string, message: PeerMessage) => boolean) {
    this.#send = send;
  }

  /** Runs `args` on node `to`; resolves with its RESP2-encoded reply. Copies `args` at once. */
  forward(to: string, args: Uint8Array[], timeoutMs: number): Promise<Uint8Array> {
    if (this.#pending.size >= FORWARDS_PENDING_MAX) {
      return Promise.reject(
        new ClusterError("TRYAGAIN", `${FORWARDS_PENDING_MAX} forwarded requests already pending`),
      );
    }
    const requestId = this.#nextRequestId++;
    const copied = args.map((arg) => arg.slice());
    const sent = this.#send(to, { type: "forwardRequest", requestId, timeoutMs, args: copied });
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

  /** A ForwardReply arrived; late or unknown replies are dropped. */
  onReply(requestId: number, reply: Uint8Array): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return;
    this.#pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.resolve(reply);
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
