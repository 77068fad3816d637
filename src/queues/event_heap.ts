import { IndexedHeap } from "../util/indexed_heap.ts";

/** Something with a deadline on the slot's log clock: a message or a dedup id. */
export interface TimedItem {
  /** When the item's next event falls due (log time, ms). */
  deadlineMs: number;
  /** The message sequence: unique per kind in a slot, so the order is total. */
  readonly sequence: number;
  /** 0: a message event, 1: a dedup id expiring. */
  readonly kind: 0 | 1;
  /** Slot in the heap, -1 when not in it. */
  heapSlot: number;
}

/**
 * An IndexedHeap by (deadlineMs, sequence, kind), a total order: which events a bounded tick
 * handles depends only on the items, never on the order they were pushed in, so a replica that
 * restored a snapshot ticks exactly like one that applied the log.
 */
export class EventHeap<T extends TimedItem> extends IndexedHeap<T> {
  constructor() {
    super(eventBefore);
  }

  /** Moves an item (in the heap or not) to `deadlineMs`; null takes it out. */
  reschedule(item: T, deadlineMs: number | null): void {
    if (item.heapSlot !== -1) this.remove(item);
    if (deadlineMs === null) return;
    item.deadlineMs = deadlineMs;
    this.push(item);
  }
}

function eventBefore(a: TimedItem, b: TimedItem): boolean {
  if (a.deadlineMs !== b.deadlineMs) return a.deadlineMs < b.deadlineMs;
  if (a.sequence !== b.sequence) return a.sequence < b.sequence;
  return a.kind < b.kind;
}
