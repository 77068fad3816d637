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
