import { assert } from "../util/assert.ts";
import { QUEUE_TICK_EVENTS_DEFAULT, QUEUE_TIME_MS_MAX } from "./limits.ts";
import type { QueueSlot } from "./queue_slot.ts";
import type { QueueOutcome, QueueTickOp } from "./types.ts";

/**
 * The slot leader's clock for its queue slot (pure: the host's monotonic time is passed in).
 * Log time continues from what the slot applied: reset() maps the host clock onto it, so a new
 * leader carries on from the last applied `nowMs` and the failover gap is not counted (delays,
 * visibility and TTLs may last longer across a leader change, never shorter). Every op the
 * leader proposes carries nowMs(hostNowMs); due() gives the tick to propose when an event of
 * the slot falls due.
 */
export class QueueTimer {
  /** Log time = host time + offset. */
  #offsetMs = 0;
  /** The last log time handed out: nowMs() never goes back. */
  #lastMs = 0;
  /** A tick from due() is proposed and not settled. */
  #tickInFlight = false;
  readonly #eventsMax: number;

  /** `eventsMax` bounds the work of one tick op (and so one apply). */
  constructor(eventsMax = QUEUE_TICK_EVENTS_DEFAULT) {
    assert(Number.isSafeInteger(eventsMax) && eventsMax > 0, "tick events");
    this.#eventsMax = eventsMax;
  }

  /** This node starts leading `slot` (or installed a snapshot while leading) at `hostNowMs`. */
  reset(slot: QueueSlot, hostNowMs: number): void {
    this.#offsetMs = slot.timeMs - hostNowMs;
    this.#lastMs = slot.timeMs;
    this.#tickInFlight = false;
  }

  /** The log time to put in an op proposed at `hostNowMs` (never below an earlier answer). */
  nowMs(hostNowMs: number): number {
    const hostLogMs = Math.floor(hostNowMs + this.#offsetMs);
    const nowMs = Math.min(QUEUE_TIME_MS_MAX, Math.max(this.#lastMs, hostLogMs));
    this.#lastMs = nowMs;
    return nowMs;
  }

  /** The tick to propose now when an event is due and no tick is in flight (marked in flight). */
  due(slot: QueueSlot, hostNowMs: number): QueueTickOp | null {
    if (this.#tickInFlight) return null;
    const tick = this.dueBefore(slot, hostNowMs);
    if (tick !== null) this.#tickInFlight = true;
    return tick;
  }

  /**
   * A tick to propose ahead of a deliver when an event is due, in flight or not: applied first,
   * it makes due delayed and lapsed messages ready before the deliver picks.
   */
  dueBefore(slot: QueueSlot, hostNowMs: number): QueueTickOp | null {
    const nextMs = slot.nextEventMs;
    const nowMs = this.nowMs(hostNowMs);
    if (nextMs === null || nextMs > nowMs) return null;
    return { op: "tick", nowMs, eventsMax: this.#eventsMax };
  }

  /** The tick from due() was applied (with `outcome`) or failed: due() may propose again. */
  settled(_outcome: QueueOutcome | null): void {
    this.#tickInFlight = false;
  }

  /** Host time at which the slot's next event falls due (arm a timer for it), or null. */
  nextDueHostMs(slot: QueueSlot): number | null {
    const nextMs = slot.nextEventMs;
    return nextMs === null ? null : nextMs - this.#offsetMs;
  }
}
