import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { PendingRequests } from "../../src/consensus/pending_requests.ts";
import { ClusterError } from "../../src/consensus/cluster_error.ts";
import type { HostClock } from "../../src/consensus/host_clock.ts";

const TIMEOUT_MS = 1_000;

/** Records how a promise settled, so a test can look without awaiting it. */
function watch<T>(promise: Promise<T>): { outcome: { value: T } | { error: unknown } | null } {
  const watched: { outcome: { value: T } | { error: unknown } | null } = { outcome: null };
  promise.then(
    (value) => watched.outcome = { value },
    (error) => watched.outcome = { error },
  );
  return watched;
}

function codeOf(outcome: { error: unknown } | { value: unknown } | null): string {
  assert.ok(outcome !== null && "error" in outcome, "expected a rejection");
  assert.ok(outcome.error instanceof ClusterError);
  return outcome.error.code;
}

Deno.test("an old waiter's timer does not remove a newer waiter at the same index", async () => {
  const clock = FakeTimers.install();
  try {
    const proposals = new PendingRequests<string>(TIMEOUT_MS);
    // Term 1: a proposal at index 5. Its entry is truncated by a new leader; this node leads
    // again in term 3 and proposes at index 5 before the old waiter's deadline.
    const old = watch(proposals.add(5, 1, "proposal"));
    await clock.tickAsync(TIMEOUT_MS * 0.6);
    const newer = watch(proposals.add(5, 3, "proposal"));
    // The old waiter lost its slot: TRYAGAIN at once (its entry can never commit), not leaked.
    await clock.tickAsync(0);
    assert.equal(codeOf(old.outcome), "TRYAGAIN");
    assert.equal(proposals.size, 1);
    // Past the old deadline: the newer waiter is still there...
    await clock.tickAsync(TIMEOUT_MS * 0.5);
    assert.equal(newer.outcome, null);
    assert.equal(proposals.size, 1);
    // ...and its entry's commit answers it with the state machine's result.
    proposals.settle(5, 3, "granted");
    await clock.tickAsync(0);
    assert.deepEqual(newer.outcome, { value: "granted" });
    assert.equal(proposals.size, 0);
  } finally {
    clock.uninstall();
  }
});

Deno.test("each waiter times out on its own deadline", async () => {
  const clock = FakeTimers.install();
  try {
    const reads = new PendingRequests<void>(TIMEOUT_MS);
    const first = watch(reads.add(1, 0, "read"));
    await clock.tickAsync(TIMEOUT_MS / 2);
    const second = watch(reads.add(2, 0, "read"));
    await clock.tickAsync(TIMEOUT_MS / 2);
    assert.equal(codeOf(first.outcome), "TIMEOUT");
    assert.equal(second.outcome, null);
    assert.equal(reads.size, 1);
    await clock.tickAsync(TIMEOUT_MS / 2);
    assert.equal(codeOf(second.outcome), "TIMEOUT");
    assert.equal(reads.size, 0);
  } finally {
    clock.uninstall();
  }
});

Deno.test("a request made in another term is refused when its index commits", async () => {
  const clock = FakeTimers.install();
  try {
    const proposals = new PendingRequests<string>(TIMEOUT_MS);
    const lost = watch(proposals.add(7, 2, "proposal"));
    proposals.settle(7, 4, "someone else's result");
    await clock.tickAsync(0);
    assert.equal(codeOf(lost.outcome), "TRYAGAIN");
    assert.equal(proposals.size, 0);
  } finally {
    clock.uninstall();
  }
});

Deno.test("the same index proposed twice in one term is a bug", () => {
  const clock = FakeTimers.install();
  try {
    const proposals = new PendingRequests<string>(TIMEOUT_MS);
    const first = proposals.add(9, 2, "proposal");
    first.catch(() => {});
    assert.throws(() => proposals.add(9, 2, "proposal"), /Assertion failed/);
    proposals.rejectAll(new ClusterError("TIMEOUT", "test over"));
  } finally {
    clock.uninstall();
  }
});

Deno.test("one timer serves every waiter, and none is left once all settle", async () => {
  const clock = FakeTimers.install();
  try {
    const proposals = new PendingRequests<string>(TIMEOUT_MS);
    const waiters = Array.from({ length: 100 }, (_, i) => watch(proposals.add(i + 1, 1, "p")));
    assert.equal(clock.countTimers(), 1);
    for (let index = 1; index <= 50; index++) proposals.settle(index, 1, "ok");
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(TIMEOUT_MS);
    // Settled ones kept their answer; the rest timed out on their deadline.
    assert.deepEqual(waiters[0]!.outcome, { value: "ok" });
    assert.equal(codeOf(waiters[99]!.outcome), "TIMEOUT");
    assert.equal(proposals.size, 0);
    assert.equal(clock.countTimers(), 0);
  } finally {
    clock.uninstall();
  }
});

Deno.test("requests time out on the clock they are given, not the process timers", async () => {
  const timers = new Map<number, () => void>();
  let next = 1;
  let nowMs = 0;
  const clock: HostClock = {
    nowMs: () => nowMs,
    setTimer: (callback) => {
      timers.set(next, callback);
      return next++;
    },
    clearTimer: (timer) => void timers.delete(timer as number),
  };
  const proposals = new PendingRequests<string>(TIMEOUT_MS, clock);
  const settled = watch(proposals.add(1, 1, "proposal"));
  const timedOut = watch(proposals.add(2, 1, "proposal"));
  assert.equal(timers.size, 1, "one timer, on the given clock, serves both waiters");
  proposals.settle(1, 1, "done");
  nowMs = TIMEOUT_MS;
  for (const [id, fire] of [...timers]) {
    timers.delete(id);
    fire();
  }
  await new Promise((resolve) => setTimeout(resolve, 0)); // a task: every microtask ran
  assert.deepEqual(settled.outcome, { value: "done" });
  assert.equal(codeOf(timedOut.outcome), "TIMEOUT");
  assert.equal(proposals.size, 0);
  assert.equal(timers.size, 0, "nothing left armed once every waiter is gone");
});
