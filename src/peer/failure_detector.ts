/** What the failure detector believes about one peer. */
export interface PeerHealth {
  state: "up" | "down";
  /** Milliseconds since the last frame received, or null if none ever was. */
  lastContactAgoMs: number | null;
}

/**
 * Timeout failure detector (pure: time is passed in). A peer is up while it has an open
 * connection and sent something within `timeoutMs`; a closed connection marks it down at once.
 *
 * Silence is counted only while this node's own event loop was running. The owner calls
 * `loopProbe` every `probeIntervalMs`; a probe that comes late by more than an interval means
 * this node was stalled, and frames from peers may still sit unread in its sockets. The stall is
 * then not held against any peer (it is credited to each), and until that late probe runs,
 * `health` judges at the time the probe was due rather than now.
 */
export class FailureDetector {
  readonly #timeoutMs: number;
  readonly #probeIntervalMs: number;
  readonly #lastContactMs = new Map<string, number>();
  /** Stall time since the peer's last contact that does not count as its silence. */
  readonly #stallCreditMs = new Map<string, number>();
  readonly #connected = new Set<string>();
  #lastProbeMs: number | null = null;

  constructor(timeoutMs: number, probeIntervalMs = timeoutMs) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    if (!(probeIntervalMs > 0)) {
      throw new RangeError(`probeIntervalMs must be positive, got ${probeIntervalMs}`);
    }
    this.#timeoutMs = timeoutMs;
    this.#probeIntervalMs = probeIntervalMs;
  }

  /** The failure timeout. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** A connection to the peer completed its handshake. */
  connected(peerId: string, nowMs: number): void {
    this.#connected.add(peerId);
    this.contact(peerId, nowMs);
  }

  /** Any frame arrived from the peer. */
  contact(peerId: string, nowMs: number): void {
    this.#lastContactMs.set(peerId, nowMs);
    this.#stallCreditMs.delete(peerId);
  }

  /** The connection to the peer closed. */
  disconnected(peerId: string): void {
    this.#connected.delete(peerId);
  }

  /** Forgets a removed member. */
  forget(peerId: string): void {
    this.#connected.delete(peerId);
    this.#lastContactMs.delete(peerId);
    this.#stallCreditMs.delete(peerId);
  }

  /** The owner's periodic probe ran at `nowMs`; returns how late it was beyond an interval. */
  loopProbe(nowMs: number): number {
    const previous = this.#lastProbeMs;
    this.#lastProbeMs = nowMs;
    if (previous === null) return 0;
    const lateMs = Math.max(0, nowMs - previous - this.#probeIntervalMs);
    if (lateMs <= this.#probeIntervalMs) return lateMs;
    for (const peerId of this.#lastContactMs.keys()) {
      this.#stallCreditMs.set(peerId, (this.#stallCreditMs.get(peerId) ?? 0) + lateMs);
    }
    return lateMs;
  }

  /** Current belief about `peerId`. */
  health(peerId: string, nowMs: number): PeerHealth {
    const last = this.#lastContactMs.get(peerId);
    const lastContactAgoMs = last === undefined ? null : Math.max(0, Math.round(nowMs - last));
    const silenceMs = this.silenceMs(peerId, nowMs);
    return { state: silenceMs <= this.#timeoutMs ? "up" : "down", lastContactAgoMs };
  }

  /**
   * How long `peerId` has been silent as this detector counts it (this node's stalls not held
   * against it); Infinity without a connection or any contact.
   */
  silenceMs(peerId: string, nowMs: number): number {
    const last = this.#lastContactMs.get(peerId);
    if (!this.#connected.has(peerId) || last === undefined) return Infinity;
    return this.#judgedAtMs(nowMs) - last - (this.#stallCreditMs.get(peerId) ?? 0);
  }

  /** `nowMs`, or when the probe was due if it is overdue (this node is stalled right now). */
  #judgedAtMs(nowMs: number): number {
    if (this.#lastProbeMs === null) return nowMs;
    const dueMs = this.#lastProbeMs + this.#probeIntervalMs;
    return nowMs - dueMs > this.#probeIntervalMs ? dueMs : nowMs;
  }
}
