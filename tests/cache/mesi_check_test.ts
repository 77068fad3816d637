import assert from "node:assert/strict";
import {
  CI_CONFIGS,
  FENCE_CONFIGS,
  RECALL_CONFIGS,
  RENEW_MUTANT_CONFIG,
  RENEWAL_CONFIGS,
  WRITE_BACK_CONFIGS,
} from "./model/configs.ts";
import { explore, type ExploreResult } from "./model/explore.ts";
import { mesiModel } from "./model/mesi_model.ts";
import { keyBytes, nodeId } from "./model/mesi_world.ts";
import { CACHE_MUTANTS, loadMutantModel, mutantConfig } from "./model/mutants.ts";

/** Every configuration must be explored to the end (not truncated) within this many states. */
const STATES_MAX = 300_000;

function report(name: string, result: ExploreResult): string {
  return `${name}: ${result.states} states, ${result.transitions} steps, depth ${result.depthMax}, ` +
    `${result.elapsedMs} ms`;
}

const CHECKED = [
  ...CI_CONFIGS,
  ...RENEWAL_CONFIGS,
  ...FENCE_CONFIGS,
  ...WRITE_BACK_CONFIGS,
  ...RECALL_CONFIGS,
];
for (const { name, config } of CHECKED) {
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
      const { name, config } = mutantConfig(mutant);
      const result = explore(model.mesiModel(config), STATES_MAX);
      console.log(report(`${mutant.name} on ${name}`, result));
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

Deno.test("cache protocol check reaches a write acknowledged by a new home that the fence freed", () => {
  // Reachability, as a "violation" the search stops at: the new home's wait ended (within two
  // ticks, so only by FenceAcks) and the write it then committed was acknowledged.
  const { config } = FENCE_CONFIGS[0]!;
  const model = mesiModel(config);
  const writer = config.scripts.findIndex((script) => script[0]?.kind === "write");
  const result = explore({
    ...model,
    violation: (w) => {
      const fresh = w.homes[1]?.home;
      if (fresh === undefined || fresh.starting(w.now)) return null;
      const key = keyBytes(0);
      const granted = fresh.holdersOf(key).get(nodeId(writer))?.state === "M";
      return granted && w.nodes[writer]!.stateOf(key, w.now) === "M"
        ? "fenced write acknowledged"
        : null;
    },
  }, STATES_MAX);
  assert.ok(result.violation !== null, "the fence path was never taken");
  console.log(`fence path, shortest trace:\n  ${result.violation.trace.join("\n  ")}`);
});

Deno.test("cache protocol check reaches a RenewGrant that extends a live line", () => {
  // Reachability, as a "violation" the search stops at: delivering a RenewGrant to n0 moved its
  // line's lease end later.
  const { config } = RENEWAL_CONFIGS[0]!;
  const model = mesiModel(config);
  const extended = new WeakSet<object>();
  const leaseEnd = (
    w: { nodes: { liveLines(nowMs: number): { leaseEndMs: number }[] }[] },
    now: number,
  ) => w.nodes[0]!.liveLines(now)[0]?.leaseEndMs ?? -1;
  const result = explore({
    ...model,
    successors: function* (w) {
      for (const step of model.successors(w)) {
        const before = leaseEnd(w, w.now);
        const after = leaseEnd(step.state, step.state.now);
        if (step.label.includes("->n0 type=renewGrant") && before >= 0 && after > before) {
          extended.add(step.state);
        }
        yield step;
      }
    },
    violation: (w) => extended.has(w) ? "line renewed" : null,
  }, STATES_MAX);
  assert.ok(result.violation !== null, "no RenewGrant ever extended a line");
  console.log(`renewal path, shortest trace:\n  ${result.violation.trace.join("\n  ")}`);
});

Deno.test("the renewal mutant's configuration is safe without the mutant", () => {
  const { name, config } = RENEW_MUTANT_CONFIG;
  const result = explore(mesiModel(config), STATES_MAX);
  console.log(report(name, result));
  assert.equal(result.violation, null, result.violation?.trace.join("\n"));
  assert.equal(result.truncated, false, "the search must be exhaustive");
});
