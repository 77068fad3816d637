/**
 * `deno task chaos --time 60 --seed S --nemesis partition,kill,pause [--nodes 3] [--out DIR]`:
 * one Jepsen-style run against real dsync nodes. Prints progress, faults and the verdict; writes
 * history.json, verdict.txt, timeline.svg to DIR (default ./chaos-out/<seed>); exits 1 on a
 * failed or inconclusive verdict, 2 on bad arguments or a run that could not start.
 */
import { Command } from "commander";
import { NEMESIS_KINDS, type NemesisKind } from "../nemesis.ts";
import { CHAOS_NODE_COUNT_MAX } from "./harness.ts";
import { runChaos, type WorkloadKind } from "./run.ts";

/** Short names accepted by `--nemesis`, each standing for one or more kinds. */
export const NEMESIS_ALIASES: Readonly<Record<string, readonly NemesisKind[]>> = {
  all: NEMESIS_KINDS,
  partition: ["partition-majority", "partition-bridge", "isolate-leader"],
  kill: ["kill"],
  pause: ["pause"],
  restart: ["restart"],
  wipe: ["wipe-minority"],
  delay: ["link-delay"],
  loss: ["link-loss-oneway"],
};

/** Parses a `--nemesis` list of kinds and aliases into kinds (no duplicates). */
export function parseNemesisList(text: string): NemesisKind[] {
  const kinds = new Set<NemesisKind>();
  for (const word of text.split(",").map((w) => w.trim()).filter((w) => w !== "")) {
    const alias = NEMESIS_ALIASES[word];
    if (alias !== undefined) alias.forEach((kind) => kinds.add(kind));
    else if ((NEMESIS_KINDS as readonly string[]).includes(word)) kinds.add(word as NemesisKind);
    else {
      throw new RangeError(
        `Unknown nemesis ${JSON.stringify(word)}: use ${
          [...Object.keys(NEMESIS_ALIASES), ...NEMESIS_KINDS].join(", ")
        }`,
      );
    }
  }
  if (kinds.size === 0) throw new RangeError("No nemesis given");
  return [...kinds];
}

function integer(name: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`Invalid --${name} ${JSON.stringify(text)}: use ${min}..${max}`);
    }
    return value;
  };
}

async function main(): Promise<number> {
  const program = new Command("chaos")
    .description("Jepsen-style chaos run of dsync locks")
    .option("--time <s>", "seconds of faults and workload", integer("time", 10, 86_400), 60)
    .option("--seed <n>", "seed of the schedule and workload", integer("seed", 0, 2 ** 32 - 1))
    .option("--nemesis <list>", "kinds or aliases (all, partition, kill, pause, ...)", "all")
    .option("--nodes <n>", "cluster size", integer("nodes", 3, CHAOS_NODE_COUNT_MAX), 3)
    .option("--clients <n>", "workload clients", integer("clients", 1, 100), 10)
    .option("--locks <n>", "lock names", integer("locks", 1, 100), 4)
    .option(
      "--workload <kind>",
      "lease (short leases, waits), basic (try-once), kv (GET/SET/DEL registers), kv-back " +
        "(the same with write-back caches) or queue",
      "lease",
    )
    .option(
      "--keys <n>",
      "keys of the kv workload (6) or the queue workload (4)",
      integer("keys", 1, 100),
    )
    .option("--out <dir>", "output directory (default ./chaos-out/<seed>)");
  program.parse(Deno.args, { from: "user" });
  const o = program.opts<{
    time: number;
    seed?: number;
    nemesis: string;
    nodes: number;
    clients: number;
    locks: number;
    keys?: number;
    workload: string;
    out?: string;
  }>();
  if (!["lease", "basic", "kv", "kv-back", "queue"].includes(o.workload)) {
    throw new RangeError(
      `Invalid --workload ${JSON.stringify(o.workload)}: use lease, basic, kv, kv-back or queue`,
    );
  }
  const workload = o.workload as WorkloadKind;
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const kinds = parseNemesisList(o.nemesis);
  const outDir = o.out ?? `./chaos-out/${seed}`;
  console.log(
    `chaos: ${o.time} s, seed ${seed}, ${o.nodes} nodes, ${workload} workload, ` +
      `nemesis ${kinds.join(",")}`,
  );
  const startedMs = performance.now();
  const abort = new AbortController();
  const onSignal = () => {
    console.log("interrupted: healing, checking and stopping the nodes");
    abort.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const result = await runChaos({
    timeMs: o.time * 1000,
    seed,
    kinds,
    nodeCount: o.nodes,
    clientCount: o.clients,
    lockCount: o.locks,
    ...(o.keys === undefined ? {} : { keyCount: o.keys }),
    workload,
    outDir,
    log: (line) => console.log(line),
    signal: abort.signal,
  });
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  console.log(result.verdict.text);
  console.log(
    `${result.faultCount} faults applied; run took ${
      ((performance.now() - startedMs) / 1000).toFixed(1)
    } s; artifacts in ${outDir}`,
  );
  console.log(`VERDICT ${result.verdict.status.toUpperCase()} (seed ${seed})`);
  if (abort.signal.aborted) console.log("the run was interrupted: not a full run");
  return result.verdict.status === "pass" && !abort.signal.aborted ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
}
