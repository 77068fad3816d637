/**
 * Runs the simulator against a mutated copy of the source: `src/`, `protocol/` and `tests/sim/` are
 * copied into a temporary directory, one textual replacement is applied there, and the copied
 * `random_run.ts` is imported and run seed by seed until a seed fails. Production code has no hook
 * for this; the repository itself is never modified.
 * @module
 */
import type * as RandomRun from "./random_run.ts";
import type { Mutant } from "./mutants.ts";

/** Directories copied for a mutant run, relative to the repository root. */
export const COPIED_DIRS = ["src", "protocol", "tests/sim", "tests/storage"] as const;

/** Files copied per run at most (a runaway copy is an error, not a full disk). */
export const COPIED_FILES_MAX = 5000;

/** The outcome of hunting one mutant. */
export interface MutantHunt {
  /** The mutant's name. */
  name: string;
  /** First seed that failed, or null when `seedsMax` seeds all passed. */
  caughtAtSeed: number | null;
  /** Seeds run (including the catching one). */
  seedsRun: number;
  /** The failure text of the catching seed (first line), or null. */
  error: string | null;
  /** Wall time of the seeds (copying excluded). */
  elapsedMs: number;
}

/** The repository root (two levels above this file). */
export function repoRoot(): string {
  const dir = import.meta.dirname;
  if (dir === undefined) throw new Error("Cannot locate the repository: not a local module");
  return `${dir}/../..`;
}

/** Returns `source` with the mutant's anchor replaced; throws unless it occurs exactly once. */
export function applyMutation(source: string, mutant: Mutant): string {
  const first = source.indexOf(mutant.anchor);
  if (first < 0) {
    throw new Error(`Cannot apply mutant ${mutant.name}: anchor not found in ${mutant.path}`);
  }
  if (source.indexOf(mutant.anchor, first + 1) >= 0) {
    throw new Error(`Cannot apply mutant ${mutant.name}: anchor occurs twice in ${mutant.path}`);
  }
  return source.slice(0, first) + mutant.replacement + source.slice(first + mutant.anchor.length);
}

async function copyTree(from: string, to: string, budget: { files: number }): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const item of Deno.readDir(from)) {
    const source = `${from}/${item.name}`;
    const target = `${to}/${item.name}`;
    if (item.isDirectory) {
      await copyTree(source, target, budget);
    } else if (item.isFile) {
      if (++budget.files > COPIED_FILES_MAX) {
        throw new Error(`Cannot copy source: more than ${COPIED_FILES_MAX} files`);
      }
      await Deno.copyFile(source, target);
    }
  }
}

/** Copies `dirs` of the source into a new temporary directory and applies `mutant` there. */
export async function mutatedCopy(
  mutant: Mutant,
  root: string = repoRoot(),
  dirs: readonly string[] = COPIED_DIRS,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dsync-mutant-" });
  const budget = { files: 0 };
  for (const sub of dirs) await copyTree(`${root}/${sub}`, `${dir}/${sub}`, budget);
  const file = `${dir}/${mutant.path}`;
  await Deno.writeTextFile(file, applyMutation(await Deno.readTextFile(file), mutant));
  return dir;
}

/** The simulator of a mutated copy; call `dispose` to remove the copy. */
export interface MutantSim {
  /** `runSeed` of the copied `random_run.ts`, running the mutated core. */
  runSeed: typeof RandomRun.runSeed;
  /** Removes the temporary copy. */
  dispose(): Promise<void>;
}

/** Copies the source, applies `mutant` and imports the copy's simulator. */
export async function loadMutant(mutant: Mutant): Promise<MutantSim> {
  const dir = await mutatedCopy(mutant);
  try {
    const url = new URL(`file://${dir}/tests/sim/random_run.ts`).href;
    const sim = await import(url) as typeof RandomRun;
    return { runSeed: sim.runSeed, dispose: () => Deno.remove(dir, { recursive: true }) };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

/** Runs seeds `seedStart..seedStart+seedsMax-1` of `sim` and stops at the first failure. */
export async function hunt(
  name: string,
  sim: MutantSim,
  seedsMax: number,
  seedStart: number,
): Promise<MutantHunt> {
  const started = performance.now();
  for (let i = 0; i < seedsMax; i++) {
    const result = await sim.runSeed(seedStart + i);
    if (result.error !== null) {
      return {
        name,
        caughtAtSeed: result.seed,
        seedsRun: i + 1,
        error: result.error.split("\n")[0]!,
        elapsedMs: performance.now() - started,
      };
    }
  }
  return {
    name,
    caughtAtSeed: null,
    seedsRun: seedsMax,
    error: null,
    elapsedMs: performance.now() - started,
  };
}

/** Hunts `mutant` from `seedStart` for at most `seedsMax` seeds on a fresh copy. */
export async function huntMutant(
  mutant: Mutant,
  seedsMax: number = mutant.seedsMax,
  seedStart = 1,
): Promise<MutantHunt> {
  const sim = await loadMutant(mutant);
  try {
    return await hunt(mutant.name, sim, seedsMax, seedStart);
  } finally {
    await sim.dispose();
  }
}
