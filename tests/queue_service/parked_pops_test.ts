import assert from "node:assert/strict";
import { ParkedPops } from "../../src/queue_service/parked_pops.ts";

Deno.test("parked pops: bounded; a wake of n wakes the n oldest not yet woken of that queue", async () => {
  const pops = new ParkedPops(3);
  const a = pops.park("q")!;
  const b = pops.park("q")!;
  const c = pops.park("other")!;
  assert.equal(pops.park("q"), null, "a fourth pop is refused");
  const [wakeA, wakeB, wakeC] = [a.rearm(), b.rearm(), c.rearm()];
  pops.wake("q", 1);
  assert.deepEqual([a.woken, b.woken, c.woken], [true, false, false]);
  await wakeA;
  pops.wake("q", 5);
  assert.deepEqual([a.woken, b.woken, c.woken], [true, true, false]);
  await wakeB;
  pops.wake("none", 1);
  assert.equal(c.woken, false);
  c.leave();
  assert.equal(pops.size, 2);
  pops.wake("other", 1);
  void wakeC;
});

Deno.test("parked pops: a woken pop that leaves without retrying hands its wake on", () => {
  const pops = new ParkedPops(10);
  const a = pops.park("q")!;
  const b = pops.park("q")!;
  a.rearm();
  b.rearm();
  pops.wake("q", 1);
  assert.deepEqual([a.woken, b.woken], [true, false]);
  a.leave();
  assert.equal(b.woken, true, "the wake went to the next pop");
  // A pop that retried (rearmed) before leaving used its wake: nothing is handed on.
  const c = pops.park("q")!;
  b.rearm();
  c.rearm();
  b.leave();
  assert.equal(c.woken, false);
  c.leave();
  assert.equal(pops.size, 0);
});
