import assert from "node:assert/strict";
import { CI_CONFIGS, MUTANT_CONFIG, RENEWAL_CONFIGS } from "./model/configs.ts";
import { explore, type ExploreResult } from "./model/explore.ts";
import { mesiModel } from "./model/mesi_model.ts";
import { CACHE_MUTANTS, loadMutantModel } from "./model/mutants.ts";

/** Every configuration must be explored to the end (not truncated) within this many states. */
const STATES_MAX = 200_000;

function report(name: string, result: ExploreResult): string {
  return `${name}: ${result.states} states, ${result.transitions} steps, depth ${result.depthMax}, ` +
    `${result.elapsedMs} ms`;
}

for (const { name, config } of [...CI_CONFIGS, ...RENEWAL_CONFIGS]) {
  Deno.test(`cache protocol, every interleaving: ${name}`, () => {
    const result = explore(mesiModel(config), STATES_MAX);
    console.log(report(name, result));
    if (result.violation !== null) {
      assert.fail(`${result.violation.message}\n${result.violation.trace.join("\n")}`);
    }
    assert.equal(result.truncated, false, "the search must be exhaustive");
    // Sanity: the search reached states where every client finished its script.
    assert.ok(result.states > 100, "the model explores more than a handful of states");
  });
}

for (const mutant of CACHE_MUTANTS) {
  Deno.test(`cache protocol check catches the mutant ${mutant.name} (${mutant.breaks})`, async () => {
    const { model, dispose } = await loadMutantModel(mutant);
    try {
      const result = explore(model.mesiModel(MUTANT_CONFIG.config), STATES_MAX);
      console.log(report(`${mutant.name} on ${MUTANT_CONFIG.name}`, result));
      assert.ok(result.violation !== null, `mutant ${mutant.name} was not caught`);
      console.log(
        `counterexample: ${result.violation.message}\n  ${result.violation.trace.join("\n  ")}`,
      );
      assert.match(result.violation.message, mutant.caughtBy);
    } finally {
      await dispose();
    }
  });
}
