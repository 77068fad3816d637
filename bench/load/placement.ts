/**
 * Balance and movement of slot placement (src/placement/), measured over many random member-id
 * sets per member count (seeded, so a run repeats exactly). For each N it places the slots on
 * N members and reports how much the busiest member holds over the mean, how often preferred
 * leaders are spread within one, and what a join (N → N+1) and a leave (N → N-1) move. Usage:
 *   deno task bench:placement [--nodes 3-9] [--slots 64] [--vnodes 64] [--replicas 3]
 *     [--samples 500] [--seed 1]
 */
import { Command } from "commander";
import Table from "cli-table3";
import {
  computePlacement,
  placementBalance,
  type PlacementConfig,
  placementMovement,
} from "../../src/placement/mod.ts";

const program = new Command()
  .name("bench:placement")
  .option("--nodes <from-to>", "member counts", "3-9")
  .option("--slots <n>", "slot count", "64")
  .option("--vnodes <n>", "virtual nodes per member", "64")
  .option("--replicas <n>", "replicas per slot", "3")
  .option("--samples <n>", "random member-id sets per member count", "500")
  .option("--seed <n>", "seed of the id generator", "1")
  .parse(["deno", "placement", ...Deno.args]);
const options = program.opts<Record<string, string>>();
const [nodesFrom, nodesTo] = options.nodes!.split("-").map(Number) as [number, number];
const config: PlacementConfig = {
  slotCount: Number(options.slots),
  vnodes: Number(options.vnodes),
  replicas: Number(options.replicas),
};
const samples = Number(options.samples);

/** mulberry32: a small seeded generator, so the id sets are the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

const random = seededRandom(Number(options.seed));

function randomIds(count: number): string[] {
  const ids = new Set<string>();
  while (ids.size < count) ids.add(`node-${Math.floor(random() * 0xffffff).toString(16)}`);
  return [...ids];
}

/** Mean, 99th percentile and maximum of `values`. */
function summary(values: number[]): { mean: number; p99: number; max: number } {
  const sorted = values.toSorted((a, b) => a - b);
  return {
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
    p99: sorted[Math.floor(0.99 * (sorted.length - 1))]!,
    max: sorted.at(-1)!,
  };
}

const table = new Table({
  head: [
    "N",
    "max/mean mean p99 max",
    "min/mean min",
    "leaders ±1",
    "join moved (1/(N+1))",
    "join slots",
    "join leaders",
    "leave moved (1/N)",
    "leave slots",
    "leave leaders",
    "ms/placement",
  ],
});
const fixed = (value: number, digits = 3) => value.toFixed(digits);
for (let n = nodesFrom; n <= nodesTo; n++) {
  const maxOverMean: number[] = [];
  const minOverMean: number[] = [];
  const join = { moved: [] as number[], slots: [] as number[], leaders: [] as number[] };
  const leave = { moved: [] as number[], slots: [] as number[], leaders: [] as number[] };
  let spreadCount = 0;
  let placementMs = 0;
  for (let sample = 0; sample < samples; sample++) {
    const ids = randomIds(n + 1);
    const startedMs = performance.now();
    const placement = computePlacement(ids.slice(0, n), config);
    placementMs += performance.now() - startedMs;
    const balance = placementBalance(placement);
    maxOverMean.push(balance.replicaMaxOverMean);
    minOverMean.push(balance.replicaSlotsMin / balance.replicaSlotsMean);
    if (balance.leaderSlotsMax - balance.leaderSlotsMin <= 1) spreadCount++;
    const movements: [typeof join, string[]][] = [[join, ids], [leave, ids.slice(1, n)]];
    for (const [figures, members] of movements) {
      if (members.length === 0) continue;
      const movement = placementMovement(placement, computePlacement(members, config, placement));
      figures.moved.push(movement.replicasMovedFraction);
      figures.slots.push(movement.slotsChangedFraction);
      figures.leaders.push(movement.leadersChanged);
    }
  }
  const balance = summary(maxOverMean);
  const row = [n, `${fixed(balance.mean)} ${fixed(balance.p99)} ${fixed(balance.max)}`];
  row.push(fixed(Math.min(...minOverMean)), `${fixed((100 * spreadCount) / samples, 1)}%`);
  for (const [figures, ideal] of [[join, 1 / (n + 1)], [leave, 1 / n]] as const) {
    const moved = summary(figures.moved);
    row.push(`${fixed(moved.mean)} max ${fixed(moved.max)} (${fixed(ideal)})`);
    row.push(fixed(summary(figures.slots).mean), fixed(summary(figures.leaders).mean, 1));
  }
  row.push(fixed(placementMs / samples, 2));
  table.push(row);
}
console.log(
  `slots ${config.slotCount}, vnodes ${config.vnodes}, replicas ${config.replicas}, ` +
    `${samples} id sets per N (seed ${options.seed})`,
);
console.log(table.toString());
