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
