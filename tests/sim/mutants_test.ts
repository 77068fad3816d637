import assert from "node:assert/strict";
import { applyMutation, huntMutant, repoRoot } from "./mutant_copy.ts";
import { type Mutant, MUTANTS } from "./mutants.ts";
import { runSeed } from "./random_run.ts";

const FAKE: Mutant = {
  name: "fake",
  breaks: "nothing",
  path: "x.ts",
  anchor: "a < b",
  replacement: "a <= b",
  caughtBy: /never/,
  seedsMax: 1,
};

Deno.test("mutants: a replacement applies only where its anchor occurs exactly once", () => {
  assert.equal(applyMutation("if (a < b) x();", FAKE), "if (a <= b) x();");
  assert.throws(() => applyMutation("if (a > b) x();", FAKE), /anchor not found in x\.ts/);
  assert.throws(() => applyMutation("a < b; a < b", FAKE), /anchor occurs twice in x\.ts/);
});

Deno.test("mutants: every anchor still occurs exactly once in the source", async () => {
  for (const mutant of MUTANTS) {
    const source = await Deno.readTextFile(`${repoRoot()}/${mutant.path}`);
    assert.notEqual(applyMutation(source, mutant), source, mutant.name);
  }
});

// Each mutant runs on its own copy; seeds are deterministic, so the seed that catches it is too.
for (const mutant of MUTANTS) {
  Deno.test(`mutants: the simulator catches ${mutant.name} within ${mutant.seedsMax} seeds`, async () => {
    const hunt = await huntMutant(mutant);
    assert.notEqual(
      hunt.caughtAtSeed,
      null,
      `${mutant.name} (${mutant.breaks}) survived ${hunt.seedsRun} seeds`,
    );
    assert.match(hunt.error ?? "", mutant.caughtBy, `${mutant.name} caught by an unexpected check`);
    // The same seed passes on the unmutated source: the mutation, not the copy, failed it.
    const clean = await runSeed(hunt.caughtAtSeed!);
    assert.equal(clean.error, null, `seed ${hunt.caughtAtSeed} fails without the mutation`);
  });
}
