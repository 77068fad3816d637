import assert from "node:assert/strict";
import { FailureDetector } from "../../src/peer/failure_detector.ts";

Deno.test("a peer is down until connected, up while heard from, down after the timeout", () => {
  const detector = new FailureDetector(1_000);
  assert.deepEqual(detector.health("n2", 0), { state: "down", lastContactAgoMs: null });
  detector.connected("n2", 100);
  assert.equal(detector.health("n2", 600).state, "up");
  detector.contact("n2", 1_000);
  assert.deepEqual(detector.health("n2", 2_000), { state: "up", lastContactAgoMs: 1_000 });
  assert.deepEqual(detector.health("n2", 2_001), { state: "down", lastContactAgoMs: 1_001 });
  detector.contact("n2", 2_500);
  assert.equal(detector.health("n2", 2_600).state, "up");
});

Deno.test("a closed connection marks the peer down at once", () => {
  const detector = new FailureDetector(1_000);
  detector.connected("n3", 0);
  detector.disconnected("n3");
  assert.equal(detector.health("n3", 1).state, "down");
  detector.forget("n3");
  assert.equal(detector.health("n3", 1).lastContactAgoMs, null);
});

Deno.test("the timeout must be positive", () => {
  assert.throws(() => new FailureDetector(0), RangeError);
});

Deno.test("this node's own stall is not counted as a peer's silence", () => {
  const detector = new FailureDetector(1_000, 100);
  detector.loopProbe(0);
  detector.connected("n2", 0);
  detector.loopProbe(100);
  // The loop stalls from 100 to 2,600: the probe due at 200 has not run yet.
  assert.equal(detector.health("n2", 2_600).state, "up", "judged when the probe was due");
  assert.equal(detector.health("n2", 2_600).lastContactAgoMs, 2_600, "shown as it is");
  // The late probe credits the 2,400 ms stall; the peer's frames are read after it.
  assert.equal(detector.loopProbe(2_600), 2_400);
  assert.equal(detector.health("n2", 2_650).state, "up");
  // Without contact afterwards, silence while the loop runs counts again: 0 to 200 (when the
  // probe was due) and from 2,600 on.
  for (let t = 2_700; t <= 3_400; t += 100) detector.loopProbe(t);
  assert.equal(detector.health("n2", 3_400).state, "up", "1,000 ms of running silence");
  detector.loopProbe(3_500);
  assert.equal(detector.health("n2", 3_500).state, "down", "1,100 ms of running silence");
  detector.contact("n2", 3_550);
  assert.equal(detector.health("n2", 3_550).state, "up");
});

Deno.test("a probe late by less than an interval is no stall", () => {
  const detector = new FailureDetector(1_000, 100);
  detector.loopProbe(0);
  detector.connected("n2", 0);
  for (let t = 190; t <= 1_140; t += 190) assert.ok(detector.loopProbe(t) <= 100);
  assert.equal(detector.health("n2", 1_140).state, "down", "silent 1,140 ms of running loop");
});
