/** What the failure detector believes about one peer. */
export interface PeerHealth {
  state: "up" | "down";
  /** Milliseconds since the last frame received, or null if none ever was. */
  lastContactAgoMs: number | null;
}

/**
 * Timeout failure detector (pure: time is passed in). A peer is up while it has an open
 * connection and sent something within `timeoutMs`; a closed connection marks it down at once.
 */
export class FailureDetector {
  readonly #timeoutMs: number;
  readonly #lastContactMs = new Map<string, number>();
  readonly #connected = new Set<string>();

  constructor(timeoutMs: number) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    this.#timeoutMs = timeoutMs;
  }

  /** The failure timeout. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** A connection to the peer completed its handshake. */
  connected(peerId: string, nowMs: number): void {
    this.#connected.add(peerId);
    this.#lastContactMs.set(peerId, nowMs);
  }

  /** Any frame arrived from the peer. */
  contact(peerId: string, nowMs: number): void {
    this.#lastContactMs.set(peerId, nowMs);
  }

  /** The connection to the peer closed. */
  disconnected(peerId: string): void {
    this.#connected.delete(peerId);
  }

  /** Forgets a removed member. */
  forget(peerId: string): void {
    this.#connected.delete(peerId);
    this.#lastContactMs.delete(peerId);
  }

  /** Current belief about `peerId`. */
  health(peerId: string, nowMs: number): PeerHealth {
    const last = this.#lastContactMs.get(peerId);
    const lastContactAgoMs = last === undefined ? null : Math.max(0, Math.round(nowMs - last));
    const up = this.#connected.has(peerId) && lastContactAgoMs !== null &&
      lastContactAgoMs <= this.#timeoutMs;
    return { state: up ? "up" : "down", lastContactAgoMs };
  }
}
