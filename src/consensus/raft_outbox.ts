import type { PeerMessage } from "../../protocol/peer/mod.ts";
import { RAFT_BATCH_ITEMS_MAX } from "../../protocol/peer/mod.ts";
import { encodeRaftMessage, type Message } from "../raft/mod.ts";

/** Most Raft messages queued for one peer between two flushes; more are refused. */
export const OUTBOX_MESSAGES_PER_PEER_MAX = 100_000;

/**
 * Coalesces the Raft messages of every group on this node: all messages for one peer produced
 * in one event-loop turn (for example every group's heartbeat after a tick) leave as one
 * RaftBatch frame; a lone message leaves as a plain Raft frame.
 */
export class RaftOutbox {
  readonly #send: (to: string, message: PeerMessage) => boolean;
  readonly #pending = new Map<string, Array<{ groupId: number; payload: Uint8Array }>>();
  #flushScheduled = false;
  /** Called for each group whose messages to `to` could not be handed to the transport. */
  onUnreachable: (to: string, groupId: number) => void = () => {};
  /** Frames handed to the transport. */
  framesSent = 0;
  /** Raft messages handed to the transport. */
  messagesSent = 0;

  constructor(send: (to: string, message: PeerMessage) => boolean) {
    this.#send = send;
  }

  /** Queues a message; false when too many are already queued for its destination. */
  enqueue(message: Message): boolean {
    let queue = this.#pending.get(message.to);
    if (queue === undefined) {
      queue = [];
      this.#pending.set(message.to, queue);
    }
    if (queue.length >= OUTBOX_MESSAGES_PER_PEER_MAX) return false;
    queue.push({ groupId: message.groupId, payload: encodeRaftMessage(message) });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Queued behind the drives already scheduled: after a tick (or an incoming batch) every
      // group's drive was queued before the first message, so all their messages go together.
      queueMicrotask(() => this.flush());
    }
    return true;
  }

  /** Sends everything queued: one frame per destination (split at the batch item maximum). */
  flush(): void {
    this.#flushScheduled = false;
    for (const [to, items] of this.#pending) {
      for (let start = 0; start < items.length; start += RAFT_BATCH_ITEMS_MAX) {
        const chunk = items.slice(start, start + RAFT_BATCH_ITEMS_MAX);
        const frame: PeerMessage = chunk.length === 1
          ? { type: "raft", groupId: chunk[0]!.groupId, payload: chunk[0]!.payload }
          : { type: "raftBatch", items: chunk };
        if (this.#send(to, frame)) {
          this.framesSent++;
          this.messagesSent += chunk.length;
        } else {
          for (const groupId of new Set(chunk.map((item) => item.groupId))) {
            this.onUnreachable(to, groupId);
          }
        }
      }
    }
    this.#pending.clear();
  }
}
