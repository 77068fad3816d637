import assert from "node:assert/strict";
import { parseSimArgs } from "./main.ts";
import { runSeed } from "./random_run.ts";
import { REGRESSION_SEEDS } from "./regression_seeds.ts";

function failureText(result: ReturnType<typeof runSeed>): string {
  return `seed ${result.seed} (${result.shape}): ${result.error}\n` +
    result.trace.slice(-40).join("\n");
}

Deno.test("sim: 500 random seeds keep every invariant and stay live", () => {
  for (let seed = 1; seed <= 500; seed++) {
    const result = runSeed(seed);
    assert.equal(result.error, null, failureText(result));
  }
});

Deno.test("sim: every regression seed passes", () => {
  for (const { seed } of REGRESSION_SEEDS) {
    const result = runSeed(seed);
    assert.equal(result.error, null, failureText(result));
  }
});

Deno.test("sim: a seed is deterministic, in either schedule mode", () => {
  assert.deepEqual([runSeed(1).mode, runSeed(2).mode], ["mixed", "churn"]);
  for (const seed of [1, 2]) {
    const a = runSeed(seed);
    const b = runSeed(seed);
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
  assert.throws(() => parseSimArgs(["--seeds", "x"]), /Invalid value x for --seeds/);
  assert.throws(() => parseSimArgs(["--bogus", "1"]), /Unknown option --bogus/);
});
