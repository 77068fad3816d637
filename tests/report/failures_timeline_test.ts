import assert from "node:assert/strict";
import {
  bucketCompletions,
  leaderChanges,
  longestGap,
  meanRate,
  placeMarks,
  TIMELINE_BUCKET_COUNT_MAX,
} from "../../bench/report/parts/failures/timeline.ts";

Deno.test("bucketCompletions: completions land in their 100 ms bucket as operations per second", () => {
  // buckets [1000,1100) [1100,1200) [1200,1300); 999 is before, 1300 and 1350 past the last one
  const points = bucketCompletions([999, 1000, 1050, 1099.9, 1100, 1250, 1300, 1350], 1000, 1350);
  assert.deepEqual(points, [{ x: 0, y: 30 }, { x: 0.1, y: 10 }, { x: 0.2, y: 10 }]);
});

Deno.test("bucketCompletions: other widths scale the rate; an empty window has no buckets", () => {
  assert.deepEqual(bucketCompletions([0, 10, 499, 500], 0, 1000, 500), [{ x: 0, y: 6 }, {
    x: 0.5,
    y: 2,
  }]);
  assert.deepEqual(bucketCompletions([5], 10, 10), []);
});

Deno.test("bucketCompletions: refuses a reversed window, a zero width and too many buckets", () => {
  assert.throws(() => bucketCompletions([], 10, 5), RangeError);
  assert.throws(() => bucketCompletions([], 0, 100, 0), RangeError);
  assert.throws(
    () => bucketCompletions([], 0, (TIMELINE_BUCKET_COUNT_MAX + 1) * 100, 100),
    RangeError,
  );
});

Deno.test("placeMarks: seconds since the start, in time order, events outside dropped", () => {
  const marks = placeMarks(
    [
      { atMs: 8_123.4, label: "restart n3" },
      { atMs: 3_004, label: "kill -9 n3" },
      { atMs: 999, label: "before" },
      { atMs: 20_001, label: "after" },
    ],
    1_000,
    20_000,
  );
  assert.deepEqual(marks, [{ x: 2, label: "kill -9 n3" }, { x: 7.12, label: "restart n3" }]);
});

Deno.test("longestGap: the longest stretch without a completion, edges included", () => {
  assert.deepEqual(longestGap([110, 120, 400, 450], 100, 500), { startMs: 120, lengthMs: 280 });
  assert.deepEqual(longestGap([110, 120], 100, 1_000), { startMs: 120, lengthMs: 880 });
  assert.deepEqual(longestGap([700, 710], 100, 800), { startMs: 100, lengthMs: 600 });
  assert.deepEqual(longestGap([], 100, 350), { startMs: 100, lengthMs: 250 });
  // completions outside the window are ignored
  assert.deepEqual(longestGap([50, 90, 150, 900], 100, 200), { startMs: 100, lengthMs: 50 });
  // of equal gaps, the earliest
  assert.deepEqual(longestGap([200, 300], 100, 400), { startMs: 100, lengthMs: 100 });
});

Deno.test("longestGap: unsorted completions inside the window are a bug", () => {
  assert.throws(() => longestGap([300, 200], 100, 500), RangeError);
});

Deno.test("meanRate: the mean over points in [from, to), null when none", () => {
  const points = [{ x: 0, y: 10 }, { x: 0.1, y: 20 }, { x: 0.2, y: 60 }];
  assert.equal(meanRate(points, 0, 0.2), 15);
  assert.equal(meanRate(points, 0.1, 1), 40);
  assert.equal(meanRate(points, 1, 2), null);
});

Deno.test("leaderChanges: an event per new leader, not for the first one nor leaderless gaps", () => {
  const events = leaderChanges([
    { atMs: 0, leaderId: null, term: 1 },
    { atMs: 100, leaderId: "n3", term: 1 },
    { atMs: 200, leaderId: null, term: 2 },
    { atMs: 300, leaderId: "n1", term: 2 },
    { atMs: 400, leaderId: "n1", term: 2 },
    { atMs: 500, leaderId: "n3", term: 3 },
  ], "locks");
  assert.deepEqual(events, [{ atMs: 300, label: "n1 leads locks" }, {
    atMs: 500,
    label: "n3 leads locks",
  }]);
  assert.deepEqual(leaderChanges([], "locks"), []);
});
