import assert from "node:assert/strict";
import type { CacheWriteMode } from "../../src/cache/mod.ts";
import { CACHE_MUTANTS } from "../cache/model/mutants.ts";
import type * as CacheRun from "./cache_workload.ts";
import { type CacheRunStats, runCacheSeed } from "./cache_workload.ts";
import type * as Scenarios from "./cache_scenarios.ts";
import {
  LONG_LEASE_SETUP,
  oldLeaderReadAfterHomeChange,
  revocationCrossesFinalWriteBack,
} from "./cache_scenarios.ts";
import { COPIED_DIRS, mutatedCopy } from "./mutant_copy.ts";
import type { Mutant } from "./mutants.ts";
import type { SeedResult } from "./random_run.ts";

/** Seeds run by the main test (bounded: the file stays under about 40 s on one loaded core). */
const CACHE_SEED_COUNT = 64;

/** What the seeds together must have exercised, at least (about a third of what they do). */
const EXERCISED_MIN: Readonly<Partial<Record<keyof CacheRunStats, number>>> = {
  hits: 120,
  misses: 5000,
  evictions: 25,
  invalidationsReceived: 350,
  homesMade: 400,
  fencesStarted: 150,
  fencesAcked: 500,
  unknown: 500,
  cachesLost: 10,
  readsOk: 700,
  writesOk: 200,
  keysReplaced: 25,
};

function failureText(result: SeedResult): string {
  return `seed ${result.seed} (${result.shape}): ${result.error}\n` +
    result.trace.slice(-40).join("\n");
}

Deno.test(`sim cache: ${CACHE_SEED_COUNT} seeds keep one writer and linearizable keys`, async () => {
  const totals: Record<string, number> = {};
  for (let seed = 1; seed <= CACHE_SEED_COUNT; seed++) {
    const { result, workload } = await runCacheSeed(seed);
    assert.equal(result.error, null, failureText(result));
    assert.equal(workload.result?.verdict.valid, "yes", `seed ${seed}: history not checked`);
    for (const [name, value] of Object.entries(workload.stats)) {
      totals[name] = (totals[name] ?? 0) + value;
    }
  }
  console.log(JSON.stringify(totals));
  // The checks must have had something to check, not pass on an idle or always-failing cache.
  for (const [name, floor] of Object.entries(EXERCISED_MIN)) {
    assert.ok((totals[name] ?? 0) >= floor!, `only ${totals[name]} ${name} (floor ${floor})`);
  }
});

/** Seeds a mutant is run on at most; one of them must catch it. */
const MUTANT_SEEDS_MAX = 20;

/**
 * A store that answers a committed SET with the key missing: the writer's M line then holds no
 * value, so only a read of it after the acknowledgement can tell (the end check's job: every
 * line stays single, so the per-event invariant cannot see it).
 */
const WRONG_WRITE_ANSWER: Mutant = {
  name: "wrong-write-answer",
  breaks: "the home grants M with the key missing instead of the value it committed",
  // The workload's SETs are plain (no TTL, no NX/XX): the home commits them via writePairs.
  path: "src/kv_service/kv_service.ts",
  anchor: '? { kind: "written", applied: true, value, ttlRemainingMs: null }',
  replacement: '? { kind: "written", applied: true, value: null, ttlRemainingMs: null }',
  caughtBy: /Cache history: .*linearizable: no/,
  seedsMax: MUTANT_SEEDS_MAX,
};

/** Runs seeds 1.. of the cache simulation on a copy of the source with `mutant` applied. */
async function firstCatch(
  mutant: Mutant,
  writeMode: CacheWriteMode = "through",
  seedsMax = MUTANT_SEEDS_MAX,
): Promise<string> {
  const dir = await mutatedCopy(mutant, undefined, [...COPIED_DIRS, "tests/chaos"]);
  try {
    const url = new URL(`file://${dir}/tests/sim/cache_workload.ts`).href;
    const copy = await import(url) as typeof CacheRun;
    for (let seed = 1; seed <= seedsMax; seed++) {
      const { result } = await copy.runCacheSeed(seed, writeMode);
      if (result.error !== null) return `seed ${seed}: ${result.error.split("\n").join(" | ")}`;
    }
    return "not caught";
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sim cache: a home that does not invalidate S holders before a write is caught", async () => {
  const caught = await firstCatch(CACHE_MUTANTS.find((m) => m.name === "no-sharer-invalidation")!);
  console.log(caught.slice(0, 600));
  assert.match(caught, /cache single writer: .* live on (.*:M.*:S|.*:S.*:M)/);
});

Deno.test("sim cache: a write acknowledged with the wrong value is caught by the history check", async () => {
  const caught = await firstCatch(WRONG_WRITE_ANSWER);
  console.log(caught.slice(0, 1500));
  assert.match(caught, WRONG_WRITE_ANSWER.caughtBy);
});

/**
 * Seeds that once failed, beyond the ones the main test runs. 880: a node crashed with a DEL
 * in flight and restarted; the home's answer to it (not applied: the key was missing) reached
 * the new process, whose SET of the key had the same request id (ids restarted at 1), and the
 * SET was answered "not set" although it applied. Request ids now start at random.
 */
const CACHE_REGRESSION_SEEDS: readonly number[] = [880];

Deno.test("sim cache: every regression seed passes", async () => {
  for (const seed of CACHE_REGRESSION_SEEDS) {
    const { result, workload } = await runCacheSeed(seed);
    assert.equal(result.error, null, failureText(result));
    assert.equal(workload.result?.verdict.valid, "yes", `seed ${seed}: history not checked`);
  }
});

Deno.test("sim cache: a seed replays exactly (no wall clock or real timer in the run)", async () => {
  const first = await runCacheSeed(7);
  const second = await runCacheSeed(7);
  assert.equal(first.result.error, null, failureText(first.result));
  assert.deepEqual(second.workload.stats, first.workload.stats);
  assert.equal(second.result.eventCount, first.result.eventCount);
  assert.deepEqual(second.workload.history.events(), first.workload.history.events());
});

Deno.test("sim cache: after a home change the old leader's line has lapsed before the first write", async () => {
  const outcome = await oldLeaderReadAfterHomeChange(5);
  const { leaseMs, holderMarginMs } = LONG_LEASE_SETUP.timing;
  // The new home waited out the old leases, so the write came late and nothing stale answers.
  assert.ok(outcome.writeAckAfterMs >= leaseMs + holderMarginMs, JSON.stringify(outcome));
  assert.equal(outcome.oldLeaderHit, null);
  // The same script on a copy whose new home does not wait: the old leader answers "v1".
  const mutant = CACHE_MUTANTS.find((m) => m.name === "no-startup-wait")!;
  const dir = await mutatedCopy(mutant, undefined, [...COPIED_DIRS, "tests/chaos"]);
  try {
    const url = new URL(`file://${dir}/tests/sim/cache_scenarios.ts`).href;
    const copy = await import(url) as typeof Scenarios;
    const broken = await copy.oldLeaderReadAfterHomeChange(5);
    assert.equal(broken.oldLeaderHit, "v1", JSON.stringify(broken));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Seeds of the scripted crossing; B's request beats A's final WriteBack home in about half. */
const CROSSING_SEEDS = 12;

Deno.test("sim cache write-back: a revocation that crosses a final WriteBack gets its data (scripted)", async () => {
  for (let seed = 1; seed <= CROSSING_SEEDS; seed++) {
    assert.equal(await revocationCrossesFinalWriteBack(seed), "v2", `seed ${seed}`);
  }
  // The same seeds replay the same schedule up to A's answer: on copies whose answer drops the
  // data, B reads the older value in some of them, so the crossing happened in those seeds.
  for (const name of ["wb-flush-ack-without-data", "wb-revoke-ignores-dirty"]) {
    const mutant = CACHE_MUTANTS.find((m) => m.name === name)!;
    const dir = await mutatedCopy(mutant, undefined, [...COPIED_DIRS, "tests/chaos"]);
    try {
      const url = new URL(`file://${dir}/tests/sim/cache_scenarios.ts`).href;
      const copy = await import(url) as typeof Scenarios;
      let staleSeed = 0;
      for (let seed = 1; seed <= CROSSING_SEEDS && staleSeed === 0; seed++) {
        if (await copy.revocationCrossesFinalWriteBack(seed) === "v1") staleSeed = seed;
      }
      assert.ok(staleSeed > 0, `${name}: B never read the older value`);
      console.log(`${name}: B read the older value at seed ${staleSeed}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

/** Write-back seeds run by the test (about 5 s). */
const WRITE_BACK_SEED_COUNT = 100;

/** What the write-back seeds together must have exercised, at least (about half of it). */
const WRITE_BACK_EXERCISED_MIN: Readonly<Partial<Record<keyof CacheRunStats, number>>> = {
  localWrites: 500,
  writeBacksSent: 180,
  invalidationsReceived: 2500,
  homesMade: 900,
  cachesLost: 20,
  readsOk: 3000,
  writesOk: 2000,
};

Deno.test(`sim cache: ${WRITE_BACK_SEED_COUNT} write-back seeds keep one writer, agree at the end and are linearizable after the faults`, async () => {
  const totals: Record<string, number> = {};
  for (let seed = 1; seed <= WRITE_BACK_SEED_COUNT; seed++) {
    const { result, workload } = await runCacheSeed(seed, "back");
    assert.equal(result.error, null, failureText(result));
    assert.deepEqual(workload.writeBackResult?.problems, [], `seed ${seed}: history not checked`);
    assert.equal(workload.result?.verdict.valid, "yes", `seed ${seed}: calm phase not checked`);
    for (const [name, value] of Object.entries(workload.stats)) {
      totals[name] = (totals[name] ?? 0) + value;
    }
  }
  console.log(JSON.stringify(totals));
  for (const [name, floor] of Object.entries(WRITE_BACK_EXERCISED_MIN)) {
    assert.ok((totals[name] ?? 0) >= floor!, `only ${totals[name]} ${name} (floor ${floor})`);
  }
});

/**
 * The bug the write-back simulation found first: a DEL acknowledged locally answered 1 (deleted)
 * on a line whose key was already missing, where the home answers 0.
 */
const LOCAL_DEL_ALWAYS_APPLIED: Mutant = {
  name: "wb-local-del-always-applied",
  breaks: "a local DEL of a missing key answers that it deleted it",
  path: "src/cache/local_write.ts",
  anchor: "  if (value === null && !exists) return NOT_APPLIED;\n",
  replacement: "",
  caughtBy: /Cache history after the faults: .*linearizable: no/,
  seedsMax: 30,
};

/**
 * Write-back bugs the simulation's phase after the faults must catch (first catches, 2026-12-01:
 * seeds 10 and 2; the bound is about three times that). Of the exhaustive check's other write-back
 * mutants, `wb-flush-ack-without-data` was caught (seed 17) only before the phase waited for late
 * requests to end first, and not in 200 seeds since: the scripted crossing above catches it (seed
 * 1); `wb-evict-ends-revocation` needs a link that reorders, which the simulated TCP links do not.
 * The exhaustive check catches both.
 */
const WRITE_BACK_SIM_MUTANTS: ReadonlyArray<[Mutant, number]> = [
  [LOCAL_DEL_ALWAYS_APPLIED, 30],
  [CACHE_MUTANTS.find((m) => m.name === "wb-revoke-ignores-dirty")!, 10],
];

for (const [mutant, seedsMax] of WRITE_BACK_SIM_MUTANTS) {
  Deno.test(`sim cache write-back: the mutant ${mutant.name} is caught after the faults`, async () => {
    const caught = await firstCatch(mutant, "back", seedsMax);
    console.log(caught.slice(0, 800));
    assert.match(caught, /Cache history after the faults: .*linearizable: no/);
  });
}
