import {
  type PeerMessage,
  QUEUE_READY_ITEMS_MAX,
  type QueueReadyItem,
} from "../../protocol/peer/mod.ts";

/**
 * Queues that got deliverable messages on the slots this node leads, gathered over one turn
 * (every push applied in one Raft batch) and then announced at once: to the pops parked on this
 * node and, as QueueReady frames, to every peer.
 */
export class ReadyNotices {
  readonly #pending = new Map<string, QueueReadyItem>();
  readonly #wakeLocal: (queueKey: string, count: number) => void;
  readonly #broadcast: (message: PeerMessage) => number;
  #scheduled = false;
  /** QueueReady frames sent (INFO). */
  framesSent = 0;

  constructor(
    wakeLocal: (queueKey: string, count: number) => void,
    broadcast: (message: PeerMessage) => number,
  ) {
    this.#wakeLocal = wakeLocal;
    this.#broadcast = broadcast;
  }

  /** `count` messages of the queue `queueKey` (its byte string) became deliverable. */
  note(queueKey: string, count: number): void {
    const item = this.#pending.get(queueKey);
    if (item !== undefined) item.count += count;
    else this.#pending.set(queueKey, { queue: stringBytes(queueKey), count });
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const items = [...this.#pending.entries()];
    this.#pending.clear();
    for (const [key, item] of items) this.#wakeLocal(key, item.count);
    for (let start = 0; start < items.length; start += QUEUE_READY_ITEMS_MAX) {
      const queues = items.slice(start, start + QUEUE_READY_ITEMS_MAX).map(([, item]) => item);
      this.#broadcast({ type: "queueReady", queues });
      this.framesSent++;
    }
  }
}

/** The bytes of a byte string (one char per byte). */
function stringBytes(key: string): Uint8Array {
  const bytes = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i);
  return bytes;
}
