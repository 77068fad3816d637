/**
 * Idle CPU of a 3-node cluster of real processes hosting many Raft groups (`--debug-groups`):
 * once every group has a leader (and, with quiet groups, every group went quiet), reads each
 * node's user + system CPU from /proc over a window and reports it as % of one core. Runs with
 * quiet groups off (`--quiesce-after-ticks 0`, every group heartbeats every tick) and on. Usage:
 *   deno task bench:idle [--groups 1000] [--seconds 20] [--mode both|busy|quiet] [--json FILE]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { cpuPercentsOver, raftInfo } from "./idle_window.ts";

type Mode = "busy" | "quiet";

interface NodeFigures {
  cpuPercent: number;
  groups: number;
  active: number;
  leading: number;
}

interface Run {
  mode: Mode;
  groups: number;
  seconds: number;
  nodes: NodeFigures[];
}

const SETTLE_TIMEOUT_MS = 180_000;
/** Without quiet groups a node may never get every group stable: measure after this anyway. */
const BUSY_SETTLE_MS = 60_000;
const POLL_MS = 500;

/**
 * Waits until every group has one leader and, in quiet mode, nothing is ticked. In busy mode it
 * gives up after BUSY_SETTLE_MS and measures what it has (the table shows the leaders).
 */
async function settle(ports: number[], groups: number, mode: Mode): Promise<void> {
  const deadline = performance.now() + (mode === "busy" ? BUSY_SETTLE_MS : SETTLE_TIMEOUT_MS);
  let last = "";
  while (performance.now() < deadline) {
    try {
      const infos = await Promise.all(ports.map(raftInfo));
      // Every node hosts the meta group, the slot groups and the debug groups (3 replicas).
      const hosted = Math.max(...infos.map((info) => info.groups));
      const leading = infos.reduce((sum, info) => sum + info.leading, 0);
      const active = infos.reduce((sum, info) => sum + info.active, 0);
      last = `leaders ${leading}/${hosted}, active ${active}`;
      if (hosted > groups && leading === hosted && (mode === "busy" || active === 0)) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (mode === "busy") {
    console.error(`busy: not settled after ${BUSY_SETTLE_MS} ms (${last}); measuring anyway`);
    return;
  }
  throw new Error(`cluster did not settle in ${SETTLE_TIMEOUT_MS} ms (${last})`);
}

async function measure(mode: Mode, groups: number, seconds: number): Promise<Run> {
  const cluster = await startBenchCluster(3, false, [
    "--debug-groups",
    String(groups),
    "--quiesce-after-ticks",
    mode === "busy" ? "0" : "20",
  ]);
  try {
    const ports = cluster.nodes.map((node) => Number(node.clientAddress.split(":").at(-1)));
    await settle(ports, groups, mode);
    // Let startup work (elections' fsyncs, first compactions) drain before measuring.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const pids = cluster.nodes.map((node) => node.pid);
    const cpuPercents = await cpuPercentsOver(pids, seconds * 1000);
    const infos = await Promise.all(ports.map(raftInfo));
    const nodes = pids.map((_, i) => ({ cpuPercent: cpuPercents[i]!, ...infos[i]! }));
    return { mode, groups, seconds, nodes };
  } finally {
    await stopBenchCluster(cluster);
  }
}

const program = new Command()
  .name("bench:idle")
  .option("--groups <n>", "debug Raft groups per node", "1000")
  .option("--seconds <n>", "measurement window", "20")
  .option("--mode <mode>", "both, busy (no quiet groups) or quiet", "both")
  .option("--json <file>", "also write the figures as JSON")
  .parse(["deno", "idle_groups", ...Deno.args]);
const options = program.opts<{ groups: string; seconds: string; mode: string; json?: string }>();
const groups = Number(options.groups);
const seconds = Number(options.seconds);
if (!Number.isSafeInteger(groups) || groups < 1 || groups > 10_000) {
  throw new RangeError(`--groups ${options.groups}: expected 1..10000`);
}
if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) {
  throw new RangeError(`--seconds ${options.seconds}: expected 1..600`);
}
const modes: Mode[] = options.mode === "both"
  ? ["busy", "quiet"]
  : options.mode === "busy" || options.mode === "quiet"
  ? [options.mode]
  : (() => {
    throw new RangeError(`--mode ${options.mode}: expected both, busy or quiet`);
  })();

const runs: Run[] = [];
for (const mode of modes) {
  console.error(`${mode}: 3 nodes x ${groups} groups, measuring ${seconds} s ...`);
  runs.push(await measure(mode, groups, seconds));
}
const table = new Table({
  head: ["mode", "node", "CPU % of one core", "groups", "ticked", "leading"],
});
for (const run of runs) {
  for (const [i, node] of run.nodes.entries()) {
    table.push([
      run.mode,
      `n${i + 1}`,
      node.cpuPercent.toFixed(2),
      node.groups,
      node.active,
      node.leading,
    ]);
  }
}
console.log(table.toString());
if (options.json !== undefined) {
  await Deno.writeTextFile(options.json, JSON.stringify(runs, null, 2) + "\n");
}
