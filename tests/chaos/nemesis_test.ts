import assert from "node:assert/strict";
import fc from "fast-check";
import {
  activeFaults,
  describeFault,
  NEMESIS_KINDS,
  type NemesisKind,
  type NemesisOptions,
  type NemesisSchedule,
  planNemesis,
} from "./nemesis.ts";

const NODES = ["n1", "n2", "n3", "n4", "n5"];
const BASE: NemesisOptions = { nodeIds: NODES, durationMs: 60_000, kinds: NEMESIS_KINDS, seed: 1 };

/** Every property the runner relies on; throws with the first one broken. */
function assertWellFormed(schedule: NemesisSchedule, options: NemesisOptions): void {
  const tailMs = options.healTailMs ?? 2000;
  let previousStopMs = Number.NEGATIVE_INFINITY;
  for (const f of schedule.faults) {
    assert.ok(f.stopMs > f.startMs, `fault ${f.faultIndex} has a positive length`);
    assert.ok(f.stopMs - f.startMs <= (options.faultMsMax ?? 3000), "bounded in time");
    assert.ok(f.startMs >= (options.quietStartMs ?? 1000), "after the quiet start");
    assert.ok(f.stopMs <= options.durationMs - tailMs, "healed before the tail");
    assert.ok(f.startMs > previousStopMs, "faults never overlap");
    previousStopMs = f.stopMs;
    assertTargets(f.fault, options.nodeIds);
  }
  const open = new Set<number>();
  let lastMs = 0;
  for (const event of schedule.events) {
    assert.ok(event.atMs >= lastMs, "events in time order");
    lastMs = event.atMs;
    if (event.action === "start") open.add(event.faultIndex);
    else assert.ok(open.delete(event.faultIndex), "a stop follows its start");
  }
  assert.equal(open.size, 0, "everything is healed by the end");
  assert.deepEqual(activeFaults(schedule, schedule.healedByMs), []);
  assert.ok(schedule.healedByMs <= options.durationMs - tailMs);
}

function assertTargets(
  fault: NemesisSchedule["faults"][number]["fault"],
  nodes: readonly string[],
) {
  const minority = Math.max(1, Math.floor((nodes.length - 1) / 2));
  switch (fault.kind) {
    case "partition-majority":
    case "partition-bridge": {
      const members = fault.groups.flat();
      assert.deepEqual([...members].sort(), [...nodes].sort(), "groups cover every node once");
      assert.ok(fault.cutLinks.length > 0 || nodes.length < 2);
      if (fault.kind === "partition-majority") {
        assert.ok(fault.groups[1]!.length <= minority && fault.groups[0]!.length > minority);
      } else {
        const bridge = fault.groups[1]![0]!;
        assert.ok(fault.cutLinks.every(([a, b]) => a !== bridge && b !== bridge));
      }
      break;
    }
    case "kill":
    case "pause":
    case "restart":
    case "wipe-minority":
      assert.ok(fault.nodes.length >= 1 && fault.nodes.length <= minority);
      assert.ok(fault.nodes.every((node) => nodes.includes(node)));
      break;
    case "link-delay":
      assert.ok(fault.delayMs >= 1 && fault.jitterMs <= fault.delayMs);
      assert.equal(fault.links.length, 2 * (nodes.length - 1));
      break;
    case "link-loss-oneway": {
      assert.equal(fault.links.length, nodes.length - 1);
      const ends = fault.links.map(([from, to]) => [from, to].sort().join(" "));
      assert.equal(new Set(ends).size, ends.length, "one direction per pair");
      const shared = nodes.filter((n) => fault.links.every(([from, to]) => from === n || to === n));
      assert.ok(shared.length >= 1, "every lost link touches one node");
      break;
    }
    case "isolate-leader":
      break;
  }
}

Deno.test("nemesis: the same seed gives the same schedule, another seed another", () => {
  assert.deepEqual(planNemesis(BASE), planNemesis(BASE));
  assert.notDeepEqual(planNemesis(BASE), planNemesis({ ...BASE, seed: 2 }));
});

Deno.test("nemesis: faults are bounded, never overlap and are all healed (property)", () => {
  const kindsArb = fc.subarray([...NEMESIS_KINDS], { minLength: 1 });
  fc.assert(
    fc.property(
      fc.integer({ min: 3, max: 7 }),
      kindsArb,
      fc.integer(),
      fc.integer({ min: 4000, max: 120_000 }),
      fc.integer({ min: 1, max: 2000 }),
      (nodeCount, kinds, seed, durationMs, faultMsMin) => {
        const options: NemesisOptions = {
          nodeIds: Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`),
          durationMs,
          kinds: kinds as NemesisKind[],
          seed,
          faultMsMin,
          faultMsMax: faultMsMin + 1500,
        };
        assertWellFormed(planNemesis(options), options);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("nemesis: a long run uses every enabled kind and leaves a healthy tail", () => {
  const schedule = planNemesis({ ...BASE, durationMs: 600_000 });
  assertWellFormed(schedule, { ...BASE, durationMs: 600_000 });
  const used = new Set(schedule.faults.map((f) => f.fault.kind));
  assert.deepEqual([...used].sort(), [...NEMESIS_KINDS].sort());
  assert.equal(schedule.truncated, false);
  const kills = planNemesis({ ...BASE, kinds: ["kill"] });
  assert.ok(kills.faults.length > 0);
  assert.ok(kills.faults.every((f) => f.fault.kind === "kill"));
});

Deno.test("nemesis: the fault count bound truncates and says so", () => {
  const schedule = planNemesis({ ...BASE, faultCountMax: 3 });
  assert.equal(schedule.faults.length, 3);
  assert.equal(schedule.truncated, true);
  assert.equal(schedule.events.length, 6);
  assertWellFormed(schedule, BASE);
});

Deno.test("nemesis: a run too short for any fault has none", () => {
  const options = { ...BASE, durationMs: 3200, faultMsMin: 300 };
  const schedule = planNemesis(options);
  assert.equal(schedule.faults.length, 0);
  assert.equal(schedule.truncated, false);
  assert.equal(schedule.healedByMs, 1000);
});

Deno.test("nemesis: faults describe themselves in one line", () => {
  const lines = planNemesis({ ...BASE, durationMs: 200_000 }).faults.map((f) =>
    describeFault(f.fault)
  );
  assert.ok(
    lines.some((line) => /^partition-majority n\d( n\d)* \| n\d/.test(line)),
    lines.join("\n"),
  );
  assert.ok(lines.some((line) => /^kill n\d/.test(line)));
  assert.ok(lines.some((line) => /^link-delay \d+\+-\d+ ms on 8 links$/.test(line)));
});

Deno.test("nemesis: impossible options are refused", () => {
  assert.throws(
    () => planNemesis({ ...BASE, nodeIds: ["n1", "n2"], kinds: ["partition-bridge"] }),
    /Cannot plan nemesis: partition-bridge needs at least 3 nodes, got 2/,
  );
  assert.throws(() => planNemesis({ ...BASE, kinds: [] }), /no nemesis kind enabled/);
  assert.throws(
    () => planNemesis({ ...BASE, nodeIds: ["a", "a"] }),
    /must be non-empty and unique/,
  );
  assert.throws(
    () => planNemesis({ ...BASE, durationMs: 2500 }),
    /quiet start 1000 ms \+ heal tail 2000 ms exceed 2500 ms/,
  );
  assert.throws(() => planNemesis({ ...BASE, faultMsMin: 0 }), /fault length 0..3000 ms/);
  assert.throws(
    () => planNemesis({ ...BASE, kinds: ["flood" as NemesisKind] }),
    /unknown kind "flood"/,
  );
});
