/**
 * Lets every queued microtask run, and every one those queue, before the simulation goes on:
 * an immediate is a task, and the event loop empties the microtask queue before it runs any
 * task. The simulated disk and the production hosts wait only on promises, never on real I/O
 * or timers, so nothing they started is left pending afterwards. (A MessageChannel message is
 * no such barrier in Deno: it can arrive while microtasks are still queued.)
 * @module
 */
import { setImmediate } from "node:timers";

/** Resolves once the microtask queue is empty. */
export function drainMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
