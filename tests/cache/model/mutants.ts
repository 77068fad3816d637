/**
 * Broken variants of the cache protocol the checker must catch. Each is a textual replacement
 * applied to a copy of the source (production code has no hook for it); the anchor must occur
 * exactly once, so a refactor that moves the code fails the test instead of hiding the mutant.
 * @module
 */
import { applyMutation } from "../../sim/mutant_copy.ts";
import type { Mutant } from "../../sim/mutants.ts";
import {
  FENCE_MUTANT_CONFIG,
  MUTANT_CONFIG,
  type NamedConfig,
  RECALL_MUTANT_CONFIG,
  RENEW_MUTANT_CONFIG,
  WRITE_BACK_MUTANT_CONFIG,
} from "./configs.ts";
import type * as ModelModule from "./mesi_model.ts";

/** The cache mutants: what each removes, and the check that must name it. */
export const CACHE_MUTANTS: readonly Mutant[] = [
  {
    name: "no-sharer-invalidation",
    breaks: "the home grants M without invalidating the S holders first",
    path: "src/cache/cache_home.ts",
    anchor: `if (job.kind === "read" && holder.state === "S") continue;`,
    replacement: `if (holder.state === "S") continue;`,
    caughtBy: /single writer|stale read/,
    seedsMax: 0,
  },
  {
    name: "lease-ignored",
    breaks: "a node answers from a line whose lease has lapsed",
    path: "src/cache/cache_node.ts",
    anchor: "return nowMs < line.leaseEndMs && (",
    replacement: "return nowMs > -1 && (",
    caughtBy: /single writer|stale read/,
    seedsMax: 0,
  },
  {
    name: "no-startup-wait",
    breaks: "a new home grants M before the old home's leases have lapsed",
    path: "src/cache/cache_home.ts",
    anchor:
      `if (job.kind !== "read" && job.kind !== "recall" && nowMs < this.#startupUntilMs) return;`,
    replacement: "",
    caughtBy: /single writer|stale read/,
    seedsMax: 0,
  },
  {
    name: "fence-partial-ack",
    breaks: "a new home ends its startup wait on the first FenceAck, not the last",
    path: "src/cache/cache_home.ts",
    anchor: "if (waiting.size > 0) return;",
    replacement: "",
    caughtBy: /single writer|stale read/,
    seedsMax: 0,
  },
  {
    name: "fence-ack-keeps-lines",
    breaks: "a node acknowledges a Fence without accepting its epoch (older lines kept)",
    path: "src/cache/cache_node.ts",
    anchor:
      "if (!this.#acceptEpoch(message.slot, message.epoch, nowMs)) return this.#stale(message);",
    replacement: `if (message.type === "fence") {
      this.#outbox.push({ type: "fenceAck", slot: message.slot, epoch: message.epoch });
      return [];
    }
    if (!this.#acceptEpoch(message.slot, message.epoch, nowMs)) return this.#stale(message);`,
    caughtBy: /single writer|stale read/,
    seedsMax: 0,
  },
  {
    name: "renew-refused-lines",
    breaks: "a node extends the lines a RenewGrant refused",
    path: "src/cache/cache_node.ts",
    anchor: "return; // refused: the line keeps its lease",
    replacement: "// refused, and extended anyway",
    caughtBy: /single writer|stale read/,
    seedsMax: 0,
  },
  {
    name: "renew-without-record",
    breaks: "a home grants a renewal without extending its own record of the holder",
    path: "src/cache/cache_home.ts",
    anchor: "holder.lapseAtMs = Math.max(holder.lapseAtMs, lapseAtMs);",
    replacement: "",
    caughtBy: /single writer|stale read/,
    seedsMax: 0,
  },
  {
    name: "wb-revoke-ignores-dirty",
    breaks: "the home goes on without the dirty data a revoked write-back holder sent in its ack",
    path: "src/cache/cache_home.ts",
    anchor: "if (message.dirty !== null) txn.dirty = message.dirty;",
    replacement: "",
    caughtBy: /stale read/,
    seedsMax: 0,
  },
  {
    name: "wb-flush-ack-without-data",
    breaks: "a node answers a revocation of a line it evicted dirty without the data its final " +
      "WriteBack carries (the home reaches that WriteBack only after the revocation)",
    path: "src/cache/cache_node.ts",
    anchor: "if (flushing !== undefined && revokes(message, flushing)) dirty = flushing.data;",
    replacement: "",
    caughtBy: /stale read/,
    seedsMax: 0,
  },
  {
    name: "wb-evict-ends-revocation",
    breaks: "an eviction notice that crossed a revocation's ack ends the revocation without it",
    path: "src/cache/cache_home.ts",
    anchor: `if (entry.txn?.phase === "revoke" && entry.txn.waiting.has(from)) return;`,
    replacement: "",
    caughtBy: /stale read/,
    seedsMax: 0,
  },
  {
    name: "recall-drops-dirty",
    breaks: "a stopping home's recall ends without committing the dirty data its Invalidates' " +
      "acks carry",
    path: "src/cache/cache_home.ts",
    anchor: `    if (txn.dirty !== null) {\n      txn.phase = "dirtyCommit";`,
    replacement:
      `    if (txn.dirty !== null && txn.job.kind !== "recall") {\n      txn.phase = "dirtyCommit";`,
    caughtBy: /stale read/,
    seedsMax: 0,
  },
];

/**
 * The configuration each mutant is hunted in: the fence's, the renewal's or the write-back's
 * own, or MUTANT_CONFIG.
 */
export function mutantConfig(mutant: Mutant): NamedConfig {
  if (mutant.name.startsWith("fence-")) return FENCE_MUTANT_CONFIG;
  if (mutant.name.startsWith("wb-")) return WRITE_BACK_MUTANT_CONFIG;
  if (mutant.name.startsWith("recall-")) return RECALL_MUTANT_CONFIG;
  return mutant.name.startsWith("renew-") ? RENEW_MUTANT_CONFIG : MUTANT_CONFIG;
}

const COPIED = ["src", "protocol", "tests/cache/model"];
const COPIED_FILES_MAX = 5000;

/** The repository root (three levels above this file). */
function repoRoot(): string {
  const dir = import.meta.dirname;
  if (dir === undefined) throw new Error("Cannot locate the repository: not a local module");
  return `${dir}/../../..`;
}

async function copyTree(from: string, to: string, budget: { files: number }): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const item of Deno.readDir(from)) {
    if (item.isDirectory) await copyTree(`${from}/${item.name}`, `${to}/${item.name}`, budget);
    else if (item.isFile) {
      if (++budget.files > COPIED_FILES_MAX) throw new Error("Cannot copy: too many files");
      await Deno.copyFile(`${from}/${item.name}`, `${to}/${item.name}`);
    }
  }
}

/** Imports the model of a copy of the source with `mutant` applied; `dispose` removes it. */
export async function loadMutantModel(
  mutant: Mutant,
): Promise<{ model: typeof ModelModule; dispose: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "dsync-cache-mutant-" });
  const dispose = () => Deno.remove(dir, { recursive: true });
  try {
    const budget = { files: 0 };
    for (const sub of COPIED) await copyTree(`${repoRoot()}/${sub}`, `${dir}/${sub}`, budget);
    const file = `${dir}/${mutant.path}`;
    await Deno.writeTextFile(file, applyMutation(await Deno.readTextFile(file), mutant));
    const url = new URL(`file://${dir}/tests/cache/model/mesi_model.ts`).href;
    return { model: await import(url) as typeof ModelModule, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
