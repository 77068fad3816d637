import { assert } from "../util/assert.ts";
import type { LockMode } from "./types.ts";

/** A parked acquire; a node of its lock's WaitQueue. */
export interface Waiter {
  readonly owner: string;
  readonly mode: LockMode;
  /** Host-chosen id of the parked acquire; replaced when the owner retries the same wait. */
  waiterId: number;
  /** Lease length in ms the grant will carry. */
  ttlMs: number;
  /** The waiter served just before this one; null at the front. */
  prev: Waiter | null;
  /** The waiter served just after this one; null at the back. */
  next: Waiter | null;
}

/**
 * The FIFO queue of one lock: a doubly linked list (O(1) insert at a known place and removal)
 * plus an index by owner. Invariant: at most one waiter per owner. Most locks never have a
 * waiter, so the index is made with the first waiter and dropped with the last.
 */
export class WaitQueue {
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #byOwner: Map<string, Waiter> | null = null;

  /** Number of waiters. */
  get size(): number {
    return this.#byOwner === null ? 0 : this.#byOwner.size;
  }

  /** The waiter served next, or null when empty. */
  get head(): Waiter | null {
    return this.#head;
  }

  /** The waiter served last, or null when empty. */
  get tail(): Waiter | null {
    return this.#tail;
  }

  /** The waiter of `owner`, if it waits here. */
  get(owner: string): Waiter | undefined {
    return this.#byOwner?.get(owner);
  }

  /** Inserts `waiter` right after `before`, or at the front when `before` is null. */
  insertAfter(before: Waiter | null, waiter: Waiter): void {
    this.#byOwner ??= new Map();
    assert(!this.#byOwner.has(waiter.owner), `owner ${waiter.owner} already waits here`);
    waiter.prev = before;
    waiter.next = before === null ? this.#head : before.next;
    if (waiter.next === null) this.#tail = waiter;
    else waiter.next.prev = waiter;
    if (before === null) this.#head = waiter;
    else before.next = waiter;
    this.#byOwner.set(waiter.owner, waiter);
  }

  /** Appends `waiter` at the back. */
  pushBack(waiter: Waiter): void {
    this.insertAfter(this.#tail, waiter);
  }

  /** Unlinks `waiter`, which must be in this queue. */
  remove(waiter: Waiter): void {
    assert(this.#byOwner?.get(waiter.owner) === waiter, `waiter ${waiter.owner} is not queued`);
    if (waiter.prev === null) this.#head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === null) this.#tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = null;
    waiter.next = null;
    this.#byOwner.delete(waiter.owner);
    if (this.#byOwner.size === 0) this.#byOwner = null;
  }

  /** The waiters front to back. */
  *[Symbol.iterator](): IterableIterator<Waiter> {
    for (let waiter = this.#head; waiter !== null; waiter = waiter.next) yield waiter;
  }
}
