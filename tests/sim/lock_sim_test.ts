import assert from "node:assert/strict";
import { LOCK_OP_VERSION } from "../../src/locks/mod.ts";
import type { Entry } from "../../src/raft/mod.ts";
import { joinImage, splitImage } from "./app.ts";
import { LockApp } from "./lock_app.ts";
import { LockWorkload, runLockSeed } from "./lock_workload.ts";
import { parseSimArgs } from "./main.ts";
import { DEFAULT_SEED_OPTIONS, runSeed, type SeedResult, type SeedWorkload } from "./random_run.ts";
import { LOCK_REGRESSION_SEEDS } from "./regression_seeds.ts";

/** Seeds run by the main test (about 25 ms each on one core). */
const LOCK_SEED_COUNT = 400;

function failureText(result: SeedResult): string {
  return `seed ${result.seed} (${result.shape}): ${result.error}\n` +
    result.trace.slice(-60).join("\n") +
    `\nReproduce: deno task sim --workload locks --seed ${result.seed} --trace 200`;
}

Deno.test(`sim locks: ${LOCK_SEED_COUNT} seeds keep mutual exclusion and fencing, drain`, async () => {
  const totals = new Map<string, number>();
  const add = (key: string, value: number) => totals.set(key, (totals.get(key) ?? 0) + value);
  for (let seed = 1; seed <= LOCK_SEED_COUNT; seed++) {
    const workload = new LockWorkload();
    const result = await runLockSeed(seed, DEFAULT_SEED_OPTIONS, workload);
    assert.equal(result.error, null, failureText(result));
    const { history, stats } = workload;
    for (const [key, value] of Object.entries(stats)) add(key, value);
    for (const [kind, count] of history.outcomeCounts) add(kind, count);
    add("replays", history.replayCount);
    add("restores", history.restoreCount);
    add("promotions", history.grants.promotionCount);
    add("upgrades", history.grants.upgradeCount);
    add("downgrades", history.grants.downgradeCount);
    add("reacquires", history.grants.reacquireCount);
  }
  // The workload must exercise what the checks are about, not pass vacuously.
  for (const key of ["granted", "queued", "busy", "deadlock", "promotions", "upgrades"]) {
    assert.ok((totals.get(key) ?? 0) > 50, `only ${totals.get(key)} ${key}`);
  }
  for (const key of ["downgrades", "reacquires", "retries", "timerProposals", "trackerResets"]) {
    assert.ok((totals.get(key) ?? 0) > 50, `only ${totals.get(key)} ${key}`);
  }
  assert.ok(totals.get("restores")! > 1000, `only ${totals.get("restores")} snapshot restores`);
  assert.ok(totals.get("replays")! > 10 * totals.get("granted")!, "few cross-node comparisons");
});

Deno.test("sim locks: every lock regression seed passes", async () => {
  for (const { seed } of LOCK_REGRESSION_SEEDS) {
    const result = await runLockSeed(seed);
    assert.equal(result.error, null, failureText(result));
  }
});

Deno.test("sim locks: a seed is deterministic and its trace shows the lock history", async () => {
  const a = await runLockSeed(42);
  const b = await runLockSeed(42);
  assert.equal(a.error, null, failureText(a));
  assert.equal(a.eventCount, b.eventCount);
  assert.equal(a.appliedIndex, b.appliedIndex);
  assert.deepEqual(a.trace, b.trace);
  assert.match(a.shape, /workload=locks/);
  const workload = new LockWorkload();
  await runLockSeed(7, { ...DEFAULT_SEED_OPTIONS, faultPhaseMs: 500 }, workload);
  assert.ok(workload.history.opCount > 0);
});

Deno.test("sim locks: a node whose table diverges fails the seed with the trace", async () => {
  const workload = new LockWorkload();
  const sabotaged: SeedWorkload = {
    name: "locks-sabotaged",
    app: {
      create: (id, index, image) => {
        const app = workload.app.create(id, index, image);
        if (id === "n2" && app instanceof LockApp) sabotage(app);
        return app;
      },
    },
    start: (cluster) => workload.start(cluster),
    clientTurn: (cluster, leader, pick) => workload.clientTurn(cluster, leader, pick),
    afterStep: () => workload.afterStep(),
    finish: (cluster) => workload.finish(cluster),
  };
  // Unsabotaged, the same seed passes.
  assert.equal((await runSeed(3, DEFAULT_SEED_OPTIONS, new LockWorkload())).error, null);
  const result = await runSeed(3, DEFAULT_SEED_OPTIONS, sabotaged);
  // The nodes disagree; whichever applied the index first, the report names the sabotaged n2.
  assert.match(result.error ?? "", /^lock (state machine|snapshot) safety: .*\bn2\b/);
  assert.ok(
    result.trace.some((line) => / #\d+ (acquire|release|refresh|expire|cancelWait) /.test(line)),
  );
});

/** After each lock op, n2 also hands out an extra grant nobody proposed. */
function sabotage(app: LockApp): void {
  const apply = app.apply.bind(app);
  app.apply = (entry: Entry) => {
    apply(entry);
    if (entry.kind === "normal" && entry.data[0] === LOCK_OP_VERSION) {
      app.table.apply(entry.index, {
        op: "acquire",
        name: "rogue",
        owner: `x${entry.index}`,
        mode: "shared",
        ttlMs: 1,
        wait: false,
        waiterId: 0,
      });
    }
  };
}

Deno.test("sim locks: the CLI takes --workload and rejects unknown ones", () => {
  assert.equal(parseSimArgs(["--workload", "locks", "--seeds", "3"]).workload, "locks");
  assert.equal(parseSimArgs([]).workload, "text");
  assert.throws(
    () => parseSimArgs(["--workload", "queues"]),
    /Invalid value queues for --workload/,
  );
  assert.throws(() => parseSimArgs(["--workload"]), /Invalid value undefined for --workload/);
});

Deno.test("sim app images: join and split round-trip; a bad header is refused", () => {
  const base = new Uint8Array([1, 2, 3]);
  const app = new Uint8Array([9, 8]);
  const { base: b, app: a } = splitImage(joinImage(base, app));
  assert.deepEqual([...b], [1, 2, 3]);
  assert.deepEqual([...a], [9, 8]);
  assert.equal(splitImage(new Uint8Array(0)).app.length, 0);
  assert.throws(() => splitImage(new Uint8Array([0, 0])), /Cannot split image: 2 bytes/);
  assert.throws(
    () => splitImage(new Uint8Array([0, 0, 0, 9, 1])),
    /Cannot split image: base length 9 exceeds the 5-byte image/,
  );
});
