import assert from "node:assert/strict";
import { parseSimArgs } from "./main.ts";
import { DEFAULT_SEED_OPTIONS, runSeed, type SeedResult } from "./random_run.ts";
import { REGRESSION_SEEDS } from "./regression_seeds.ts";

function failureText(result: SeedResult): string {
  return `seed ${result.seed} (${result.shape}): ${result.error}\n` +
    result.trace.slice(-40).join("\n");
}

Deno.test("sim: 500 random seeds keep every invariant and stay live", async () => {
  for (let seed = 1; seed <= 500; seed++) {
    const result = await runSeed(seed);
    assert.equal(result.error, null, failureText(result));
  }
});

Deno.test("sim: every regression seed passes, as found (one group) and as drawn now", async () => {
  for (const { seed } of REGRESSION_SEEDS) {
    for (const groups of [1, undefined]) {
      const options = groups === undefined
        ? DEFAULT_SEED_OPTIONS
        : { ...DEFAULT_SEED_OPTIONS, groupsPerNode: groups };
      const result = await runSeed(seed, options);
      assert.equal(result.error, null, failureText(result));
    }
  }
});

Deno.test("sim: a multi-group seed is deterministic and every group makes progress", async () => {
  // Seed 3 draws 4 groups on the mixed schedule, seed 9 draws 2 on the churn schedule.
  for (const [seed, mode, groups] of [[3, "mixed", 4], [9, "churn", 2]] as const) {
    const a = await runSeed(seed);
    const b = await runSeed(seed);
    assert.equal(a.error, null, failureText(a));
    assert.deepEqual([a.mode, a.groups], [mode, groups]);
    assert.match(a.shape, new RegExp(`groups=${groups}`));
    assert.equal(a.eventCount, b.eventCount);
    assert.deepEqual(a.appliedByGroup, b.appliedByGroup);
    assert.deepEqual(a.trace, b.trace);
    // Client writes committed in every group, not only the liveness probe after healing.
    assert.equal(a.appliedByGroup.length, groups);
    for (const applied of a.appliedByGroup) assert.ok(applied >= 10, `${a.appliedByGroup}`);
  }
});

Deno.test("sim: forcing one group per node on a multi-group seed runs a single-group cluster", async () => {
  // How regression seeds found before groups existed are replayed (see the test above).
  const drawn = await runSeed(3);
  const single = await runSeed(3, { ...DEFAULT_SEED_OPTIONS, groupsPerNode: 1 });
  assert.deepEqual([drawn.groups, single.groups], [4, 1]);
  assert.equal(single.error, null, failureText(single));
  assert.equal(single.appliedByGroup.length, 1);
  assert.doesNotMatch(single.shape, /groups=/);
});

Deno.test("sim: a seed is deterministic, in either schedule mode", async () => {
  assert.deepEqual([(await runSeed(1)).mode, (await runSeed(2)).mode], ["mixed", "churn"]);
  for (const seed of [1, 2]) {
    const a = await runSeed(seed);
    const b = await runSeed(seed);
    assert.equal(a.eventCount, b.eventCount);
    assert.equal(a.appliedIndex, b.appliedIndex);
    assert.deepEqual(a.trace, b.trace);
  }
});

Deno.test("sim: CLI arguments parse and bad ones are rejected", () => {
  const args = parseSimArgs(["--seeds", "10", "--seed-start", "5"]);
  assert.equal(args.seedCount, 10);
  assert.equal(args.seedStart, 5);
  assert.equal(parseSimArgs(["--seed", "7"]).seedCount, 1);
  assert.equal(parseSimArgs(["--groups", "3"]).groupsPerNode, 3);
  assert.equal(parseSimArgs([]).groupsPerNode, null);
  assert.throws(() => parseSimArgs(["--groups", "0"]), /Invalid value 0 for --groups/);
  assert.throws(
    () => parseSimArgs(["--workload", "locks", "--groups", "2"]),
    /needs the text workload/,
  );
  assert.throws(() => parseSimArgs(["--seeds", "x"]), /Invalid value x for --seeds/);
  assert.throws(() => parseSimArgs(["--bogus", "1"]), /Unknown option --bogus/);
});
