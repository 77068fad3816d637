import type { Logger } from "../log/logger.ts";

/** What the stall monitor has seen; fed into INFO stats and /metrics. Zeroing it resets it. */
export interface StallFigures {
  /** Longest event-loop stall since the node started, ms (only grows). */
  stallMaxMs: number;
  /** Longest stall in the current and the previous window (about the last minute), ms. */
  stallRecentMaxMs: number;
  /** Turns that were late by more than a tick. */
  stallCount: number;
}

/** Settings of a stall monitor. */
export interface StallMonitorOptions {
  /** Expected period of the probe; a probe later than this by more than `tickMs` is a stall. */
  tickMs: number;
  /** Length of one window of `stallRecentMaxMs`. */
  windowMs: number;
  /** At most one WARN line per this many ms (the others are counted in the next line). */
  warnIntervalMs: number;
}

/**
 * Event-loop stall accounting (pure: the caller passes every probe's time). A probe scheduled
 * every `tickMs` that runs `gap` ms after the previous one was held up `gap - tickMs` ms by
 * whatever ran in between: that delay is also how long a due heartbeat or Raft tick waited.
 */
export class StallTracker {
  readonly #options: StallMonitorOptions;
  readonly figures: StallFigures = { stallMaxMs: 0, stallRecentMaxMs: 0, stallCount: 0 };
  #previousProbeMs: number | null = null;
  #windowStartMs = 0;
  #windowMaxMs = 0;
  #previousWindowMaxMs = 0;
  #lastWarnMs = -Infinity;
  #unwarnedCount = 0;

  constructor(options: StallMonitorOptions) {
    if (!(options.tickMs > 0)) throw new RangeError(`tickMs must be positive: ${options.tickMs}`);
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be positive`);
    this.#options = options;
  }

  /**
   * Records a probe at `nowMs`; returns the stall to log at WARN (ms, and stalls since the last
   * line) when this probe was late by more than a tick and no line was written recently.
   */
  probe(nowMs: number): { stallMs: number; stallsSinceLastWarn: number } | null {
    const previous = this.#previousProbeMs;
    this.#previousProbeMs = nowMs;
    if (previous === null) {
      this.#windowStartMs = nowMs;
      return null;
    }
    const stallMs = Math.max(0, Math.round(nowMs - previous - this.#options.tickMs));
    if (this.figures.stallMaxMs < this.#windowMaxMs) {
      // The figures were zeroed from outside (CONFIG RESETSTAT): forget the windows too.
      this.#windowMaxMs = 0;
      this.#previousWindowMaxMs = 0;
    }
    this.#roll(nowMs);
    this.#windowMaxMs = Math.max(this.#windowMaxMs, stallMs);
    const figures = this.figures;
    figures.stallMaxMs = Math.max(figures.stallMaxMs, stallMs);
    figures.stallRecentMaxMs = Math.max(this.#windowMaxMs, this.#previousWindowMaxMs);
    if (stallMs <= this.#options.tickMs) return null;
    figures.stallCount++;
    this.#unwarnedCount++;
    if (nowMs - this.#lastWarnMs < this.#options.warnIntervalMs) return null;
    this.#lastWarnMs = nowMs;
    const stallsSinceLastWarn = this.#unwarnedCount;
    this.#unwarnedCount = 0;
    return { stallMs, stallsSinceLastWarn };
  }

  #roll(nowMs: number): void {
    const elapsedMs = nowMs - this.#windowStartMs;
    if (elapsedMs < this.#options.windowMs) return;
    // A gap of two windows or more leaves nothing of the previous window recent.
    this.#previousWindowMaxMs = elapsedMs < 2 * this.#options.windowMs ? this.#windowMaxMs : 0;
    this.#windowMaxMs = 0;
    this.#windowStartMs = nowMs;
  }
}

/** A timer probe every tick that feeds a StallTracker and logs stalls longer than a tick. */
export class StallMonitor {
  readonly tracker: StallTracker;
  readonly #options: StallMonitorOptions;
  readonly #logger: Logger;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: StallMonitorOptions, logger: Logger) {
    this.#options = options;
    this.tracker = new StallTracker(options);
    this.#logger = logger.with({ component: "loop" });
  }

  /** The figures so far (a live object). */
  get figures(): StallFigures {
    return this.tracker.figures;
  }

  /** Starts probing. */
  start(): void {
    this.tracker.probe(performance.now());
    this.#timer = setInterval(() => this.#probe(), this.#options.tickMs);
  }

  /** Stops probing. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #probe(): void {
    const stall = this.tracker.probe(performance.now());
    if (stall === null) return;
    this.#logger.warn("event loop stalled longer than a tick", {
      stallMs: stall.stallMs,
      tickMs: this.#options.tickMs,
      stallsSinceLastLine: stall.stallsSinceLastWarn,
    });
  }
}
