/**
 * `deno task sim:mutants [--rounds R] [--seeds N] [--seed-start S] [--only NAME]`: applies each
 * known mutant to a copy of the source and prints how many seeds the simulator needed to catch it.
 * With `--rounds R` the hunt goes on after each catch (from the next seed) R times, and the mean
 * seeds per catch is printed. Exits 1 when a mutant survives or is caught by an unexpected check.
 * @module
 */
import { hunt, loadMutant, type MutantHunt } from "./mutant_copy.ts";
import { type Mutant, MUTANTS } from "./mutants.ts";

interface MutantArgs {
  rounds: number;
  seedsMax: number | null;
  seedStart: number;
  only: string | null;
}

const USAGE =
  "Usage: deno task sim:mutants [--rounds R] [--seeds N] [--seed-start S] [--only NAME]";

function parseArgs(args: string[]): MutantArgs {
  const out: MutantArgs = { rounds: 1, seedsMax: null, seedStart: 1, only: null };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const raw = args[i + 1];
    if (name === "--only" && raw !== undefined) {
      if (!MUTANTS.some((m) => m.name === raw)) throw new Error(`Unknown mutant ${raw}`);
      out.only = raw;
      continue;
    }
    const value = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(value) || value < 1) {
      throw new Error(`Invalid value ${raw} for ${name}`);
    }
    if (name === "--rounds") out.rounds = value;
    else if (name === "--seeds") out.seedsMax = value;
    else if (name === "--seed-start") out.seedStart = value;
    else throw new Error(`Unknown option ${name}`);
  }
  return out;
}

function describe(mutant: Mutant, h: MutantHunt): { line: string; ok: boolean } {
  const seconds = (h.elapsedMs / 1000).toFixed(1);
  if (h.caughtAtSeed === null) {
    return { line: `  SURVIVED ${h.seedsRun} seeds (${seconds}s)`, ok: false };
  }
  const ok = mutant.caughtBy.test(h.error ?? "");
  const line = `  caught after ${h.seedsRun} seeds at seed ${h.caughtAtSeed} (${seconds}s)` +
    `${ok ? "" : " BY AN UNEXPECTED CHECK"}: ${h.error}`;
  return { line, ok };
}

async function runMutant(mutant: Mutant, args: MutantArgs): Promise<boolean> {
  console.log(`${mutant.name}: ${mutant.breaks}`);
  const sim = await loadMutant(mutant);
  const counts: number[] = [];
  let allOk = true;
  try {
    let seedStart = args.seedStart;
    for (let round = 0; round < args.rounds; round++) {
      const h = await hunt(mutant.name, sim, args.seedsMax ?? mutant.seedsMax, seedStart);
      const { line, ok } = describe(mutant, h);
      console.log(line);
      allOk &&= ok;
      if (h.caughtAtSeed === null) break;
      counts.push(h.seedsRun);
      seedStart = h.caughtAtSeed + 1;
    }
  } finally {
    await sim.dispose();
  }
  if (counts.length > 1) {
    const sorted = counts.slice().sort((a, b) => a - b);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    console.log(
      `  ${counts.length} catches: mean ${mean.toFixed(1)} seeds, median ` +
        `${sorted[Math.floor(sorted.length / 2)]}, worst ${sorted.at(-1)}`,
    );
  }
  return allOk;
}

async function main(): Promise<number> {
  let args: MutantArgs;
  try {
    args = parseArgs(Deno.args);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  let failed = 0;
  for (const mutant of MUTANTS) {
    if (args.only !== null && mutant.name !== args.only) continue;
    if (!await runMutant(mutant, args)) failed++;
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
