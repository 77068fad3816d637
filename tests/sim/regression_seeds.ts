/**
 * Every seed that ever failed `deno task sim`, with what it found. A test replays them all.
 * Add a seed here whenever the simulator finds a bug, before fixing it.
 */
export const REGRESSION_SEEDS: readonly { seed: number; found: string }[] = [
  { seed: 411, found: "liveness check proposed to a stale, removed leader (harness bug)" },
  {
    seed: 8973,
    found: "mutation test: commit rule without the current-term check (Figure 8) breaks " +
      "leader completeness",
  },
];

/**
 * Seeds of `deno task sim --workload locks` that found a bug (or, for mutation tests, caught a
 * deliberately broken lock table). A test replays them all with the lock workload.
 */
export const LOCK_REGRESSION_SEEDS: readonly { seed: number; found: string }[] = [
  {
    seed: 3,
    found: "mutation test: promoting an exclusive waiter beside shared holders breaks mutual " +
      "exclusion; an upgrade in place that keeps its token breaks fencing order",
  },
  { seed: 1, found: "mutation test: cancelWait answering true but leaving the waiter parked" },
  {
    seed: 6,
    found: "mutation test: a snapshot restore that forgets the tokens of ended grants",
  },
];
