/**
 * GroupLeft notices a slot group leader owes the members it removed: a removed member never
 * receives the entry that removed it, so the leader tells it, once the removal is committed, and
 * repeats the notice a bounded number of times (it may be down or unreachable). Kept in memory
 * only: a notice whose leader restarts is not sent again, but the removed member keeps
 * campaigning, and the group's leader answers its messages with the notice (RaftHost.onNonMember;
 * docs/slots.md, "Leaving").
 */

/** One notice: member `to` left group `groupId` through the entry at `configIndex`. */
export interface LeftNotice {
  to: string;
  groupId: number;
  configIndex: number;
}

/** Notices kept at most (the oldest are dropped past it). */
const NOTICES_MAX = 4096;
/** Sends of each notice at most. */
export const NOTICE_SENDS_MAX = 30;

/** The notices still to repeat, each with its remaining sends. */
export class LeftNotices {
  readonly #pending = new Map<string, { notice: LeftNotice; sendsLeft: number }>();
  readonly #send: (notice: LeftNotice) => void;

  /** `send`: hands one notice to the transport (a lost one is repeated by `repeat`). */
  constructor(send: (notice: LeftNotice) => void) {
    this.#send = send;
  }

  /** Sends `notice` now and keeps it for `repeat`. */
  add(notice: LeftNotice): void {
    const key = `${notice.to}/${notice.groupId}`;
    this.#pending.delete(key);
    if (this.#pending.size >= NOTICES_MAX) {
      this.#pending.delete(this.#pending.keys().next().value!);
    }
    this.#pending.set(key, { notice, sendsLeft: NOTICE_SENDS_MAX - 1 });
    this.#send(notice);
  }

  /** Sends every kept notice once more; forgets those sent NOTICE_SENDS_MAX times. */
  repeat(): void {
    for (const [key, entry] of this.#pending) {
      this.#send(entry.notice);
      if (--entry.sendsLeft <= 0) this.#pending.delete(key);
    }
  }

  /** Notices kept. */
  get size(): number {
    return this.#pending.size;
  }
}
