import assert from "node:assert/strict";
import { StallTracker } from "../../src/util/stall_monitor.ts";

const OPTIONS = { tickMs: 50, windowMs: 1_000, warnIntervalMs: 500 };

Deno.test("a probe late by more than a tick is a stall, logged at most once per interval", () => {
  const tracker = new StallTracker(OPTIONS);
  assert.equal(tracker.probe(0), null);
  assert.equal(tracker.probe(90), null, "40 ms late is within a tick");
  assert.deepEqual(tracker.figures, { stallMaxMs: 40, stallRecentMaxMs: 40, stallCount: 0 });
  assert.deepEqual(tracker.probe(390), { stallMs: 250, stallsSinceLastWarn: 1 });
  assert.equal(tracker.probe(600), null, "a second stall within 500 ms is counted, not logged");
  assert.deepEqual(tracker.probe(1_000), { stallMs: 350, stallsSinceLastWarn: 2 });
  assert.equal(tracker.figures.stallCount, 3);
  assert.equal(tracker.figures.stallMaxMs, 350);
});

Deno.test("the recent maximum forgets stalls older than two windows; the maximum keeps them", () => {
  const tracker = new StallTracker(OPTIONS);
  tracker.probe(0);
  tracker.probe(850); // an 800 ms stall
  let t = 850;
  for (; t < 2_900; t += 50) tracker.probe(t + 50);
  assert.equal(tracker.figures.stallRecentMaxMs, 0);
  assert.equal(tracker.figures.stallMaxMs, 800);
});

Deno.test("ticks and windows must be positive", () => {
  assert.throws(() => new StallTracker({ ...OPTIONS, tickMs: 0 }), RangeError);
  assert.throws(() => new StallTracker({ ...OPTIONS, windowMs: 0 }), RangeError);
});

Deno.test("zeroed figures (CONFIG RESETSTAT) start over, windows included", () => {
  const tracker = new StallTracker(OPTIONS);
  tracker.probe(0);
  tracker.probe(450); // a 400 ms stall
  Object.assign(tracker.figures, { stallMaxMs: 0, stallRecentMaxMs: 0, stallCount: 0 });
  tracker.probe(520);
  assert.deepEqual(tracker.figures, { stallMaxMs: 20, stallRecentMaxMs: 20, stallCount: 0 });
});
