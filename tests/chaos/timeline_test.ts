import assert from "node:assert/strict";
import { planNemesis } from "./nemesis.ts";
import { lockOps } from "./test_histories.ts";
import {
  buildTimelineSpec,
  FAULT_COLOR,
  faultIntervals,
  OUTCOME_COLORS,
  renderTimelineSvg,
} from "./timeline.ts";

const OPS = lockOps([
  [1, "invoke", "ACQUIRE L a"], // 0
  [2, "invoke", "ACQUIRE L b"], // 10
  [1, "ok", 1], // 20
  [2, "fail", "TRYAGAIN election"], // 30
  [3, "invoke", "RELEASE L c"], // 40
  [3, "info", "TIMEOUT"], // 50
  [1, "invoke", "INFO L"], // 60, never completes
]);

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

Deno.test("timeline: a small history renders one bar per operation and the faults", async () => {
  const faults = [{ label: "kill n2", startMs: 15, stopMs: 45 }];
  const svg = await renderTimelineSvg(
    buildTimelineSpec(OPS, faults, { title: "run 7", endMs: 80 }),
  );
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const bars = svg.match(/aria-label="[^"]*client: p\d[^"]*"/g) ?? [];
  assert.equal(bars.length, 4);
  assert.match(
    bars[0]!,
    /ms since start: 0; client: p1; endMs: 20; outcome: ok; label: LOCK.ACQUIRE L a -&gt; 1/,
  );
  assert.match(
    bars[1]!,
    /client: p2; endMs: 30; outcome: fail; label: LOCK.ACQUIRE L b -&gt; TRYAGAIN/,
  );
  assert.match(bars[2]!, /client: p3; endMs: 50; outcome: unknown/);
  assert.match(
    bars[3]!,
    /ms since start: 60; client: p1; endMs: 80; outcome: unknown; .* -&gt; \?/,
  );
  assert.equal(count(svg, new RegExp(`fill="${OUTCOME_COLORS.ok}"`, "g")), 2); // bar + legend
  assert.equal(count(svg, new RegExp(`fill="${OUTCOME_COLORS.fail}"`, "g")), 2);
  assert.equal(count(svg, new RegExp(`fill="${OUTCOME_COLORS.unknown}"`, "g")), 3);
  assert.match(svg, /aria-label="ms since start: 15; stopMs: 45; label: kill n2"/);
  assert.match(svg, new RegExp(`fill="${FAULT_COLOR}"`));
  assert.match(svg, /Title text 'run 7'/);
  assert.match(svg, /discrete scale with 3 values: p1, p2, p3/);
});

Deno.test("timeline: history times shift by the origin; schedules give intervals", async () => {
  const schedule = planNemesis({
    nodeIds: ["n1", "n2", "n3"],
    durationMs: 20_000,
    kinds: ["kill"],
    seed: 3,
  });
  const faults = faultIntervals(schedule);
  assert.equal(faults.length, schedule.faults.length);
  assert.ok(faults.every((f) => /^kill n\d$/.test(f.label) && f.stopMs > f.startMs));
  const spec = buildTimelineSpec(OPS, faults, { originMs: -1000 });
  const svg = await renderTimelineSvg(spec);
  assert.match(svg, /ms since start: 1000; client: p1; endMs: 1020/);
  assert.equal(count(svg, /label: kill n\d"/g), 2 * faults.length); // shade and text per fault
});

Deno.test("timeline: an empty history still renders", async () => {
  const svg = await renderTimelineSvg(buildTimelineSpec([], []));
  assert.match(svg, /^<svg /);
  assert.equal(count(svg, /client: p\d/g), 0);
});
