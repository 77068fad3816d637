import {
  type PeerMessage,
  QUEUE_READY_ITEMS_MAX,
  type QueueReadyItem,
} from "../../protocol/peer/mod.ts";
import { byteString } from "../kv/key.ts";

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

  /** A message of `queue` became deliverable (the bytes are not kept past this turn). */
  note(queue: Uint8Array): void {
    const key = byteString(queue);
    const item = this.#pending.get(key);
    if (item !== undefined) item.count++;
    else this.#pending.set(key, { queue, count: 1 });
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
