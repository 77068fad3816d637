import type { PeerMessage } from "../../protocol/peer/mod.ts";
import type { CacheMessage } from "../cache/mod.ts";
import type { Logger } from "../log/logger.ts";
import { cacheFramesOf, type OutgoingCacheFrame } from "./cache_frames.ts";

/** What the outbox needs from its service. */
export interface CacheOutboxOptions {
  /** Hands a frame to the peer link of node `to`; false when the link refused it. */
  send(to: string, frame: PeerMessage): boolean;
  /** `carried` left for node `to` in one frame. */
  onFrameSent(to: string, carried: readonly CacheMessage[]): void;
  /** A message that did not leave: its frame was refused, or it could not be encoded. */
  onNotSent(message: CacheMessage): void;
  logger: Logger;
}

/**
 * The cache's messages for other nodes, queued per node during one event-loop turn and sent at
 * its end, in order, as few frames (cacheFramesOf: a lone message as its own frame, more as
 * CacheBundles). A write-back flush, the homes' answers to it and a renewal walk are hundreds of
 * messages to the same node at once; a frame each cost a header, an allocation, a dispatch and a
 * handler turn per message on both ends. Bounded by what one turn produces: every queue is
 * emptied at the end of the turn it was filled in.
 */
export class CacheOutbox {
  readonly #options: CacheOutboxOptions;
  #queued = new Map<string, CacheMessage[]>();

  constructor(options: CacheOutboxOptions) {
    this.#options = options;
  }

  /** Queues `message` for node `to` (not this node: its own homes get theirs directly). */
  post(to: string, message: CacheMessage): void {
    const queued = this.#queued.get(to);
    if (queued !== undefined) return void queued.push(message);
    this.#queued.set(to, [message]);
    if (this.#queued.size === 1) queueMicrotask(() => this.#send());
  }

  #send(): void {
    const queued = this.#queued;
    this.#queued = new Map();
    for (const [to, messages] of queued) {
      for (const { frame, messages: carried } of this.#framesOf(to, messages)) {
        if (this.#sendFrame(to, frame)) this.#options.onFrameSent(to, carried);
        else for (const message of carried) this.#options.onNotSent(message);
      }
    }
  }

  /**
   * The frames of `messages`; none when they cannot be encoded (a field out of range: a bug, as
   * the commands bound keys and values), and then each is handled as not sent rather than thrown
   * at the end of a turn, where nothing would catch it.
   */
  #framesOf(to: string, messages: CacheMessage[]): OutgoingCacheFrame[] {
    try {
      return cacheFramesOf(messages);
    } catch (error) {
      this.#options.logger.error("cache messages not encoded", { to, error: String(error) });
      for (const message of messages) this.#options.onNotSent(message);
      return [];
    }
  }

  /** Sends one frame; false when the link refused it or it could not be framed (logged). */
  #sendFrame(to: string, frame: PeerMessage): boolean {
    try {
      return this.#options.send(to, frame);
    } catch (error) {
      this.#options.logger.error("cache frame not sent", { to, error: String(error) });
      return false;
    }
  }
}
