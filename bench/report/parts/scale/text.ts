/** Paragraphs of the scale section, written from measured figures only. Pure. */
import type { BoundInputs, Bounds } from "./bounds.ts";
import type { CostRow, FsyncFigures, IdleRow, MemoryRow, PeerMemoryRow } from "./figures.ts";
import { leastSquaresSlope } from "./slope.ts";

/** A number for prose: no more precision than the measurement carries. */
export function figure(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString("en-US");
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 0.1) return value.toFixed(2);
  return value.toPrecision(2);
}

/** Bytes in B, KiB or MiB for prose. */
export function bytesText(bytes: number): string {
  const magnitude = Math.abs(bytes);
  if (magnitude >= 1024 * 1024) return `${figure(bytes / 1024 / 1024)} MiB`;
  if (magnitude >= 1024) return `${figure(bytes / 1024)} KiB`;
  return `${figure(bytes)} B`;
}

/** How idle CPU and memory grow with the Raft groups a node hosts. */
export function idleText(rows: readonly IdleRow[]): string {
  if (rows.length === 0) return "Idle cost: no cluster size was measured.";
  const parts = rows.map((row) =>
    `${row.slots} slots (${figure(row.groupsPerNode)} groups per node): ` +
    `${figure(row.cpuPercentMean)} % of one core (at most ${figure(row.cpuPercentMax)} %), ` +
    `RSS ${bytesText(row.rssBytesMean)}`
  );
  let text = `Idle, after every group went quiet, each node of a 3-node cluster used ${
    parts.join("; ")
  }.`;
  const distinct = new Set(rows.map((row) => row.groupsPerNode));
  if (distinct.size >= 2) {
    const cpu = leastSquaresSlope(rows.map((r) => ({ x: r.groupsPerNode, y: r.cpuPercentMean })));
    const rss = leastSquaresSlope(rows.map((r) => ({ x: r.groupsPerNode, y: r.rssBytesMean })));
    const cpuText = cpu > 0
      ? `every 1,000 further groups cost about ${figure(cpu * 1000)} % of one core`
      : "idle CPU did not grow with the groups (quiet groups are not ticked; the differences " +
        "are background noise)";
    text += ` Over the sizes measured (least-squares slopes), ${cpuText}, and each group added ` +
      `${bytesText(rss)} of RSS.`;
  }
  return text;
}

/** Memory per lock, message and line, beside the peers'. */
export function memoryText(
  rows: readonly MemoryRow[],
  peers: readonly PeerMemoryRow[],
): string {
  if (rows.length === 0) return "Memory per item: nothing was measured.";
  const parts = rows.map((row) => {
    const spread = `${bytesText(Math.min(...row.nodeBytesPerItem))} to ${
      bytesText(Math.max(...row.nodeBytesPerItem))
    } per node`;
    const roles = row.leaderBytesPerItem !== null && row.followerBytesPerItem !== null
      ? ` (leader ${bytesText(row.leaderBytesPerItem)}, followers ${
        bytesText(row.followerBytesPerItem)
      })`
      : "";
    return `a ${row.item} ${spread}${roles}, over ${row.count.toLocaleString("en-US")}`;
  });
  let text = `RSS grew, per item and node, by ${parts.join("; ")}. ` +
    "RSS includes V8's free heap space, so a slope is an upper bound on what the item itself holds.";
  const resent = rows.filter((row) => row.resentCount > 0);
  if (resent.length > 0) {
    text += ` Sent again after -TIMEOUT or -TRYAGAIN during the fills: ${
      resent.map((row) => `${row.item} ${row.resentCount} times`).join(", ")
    } (a resent command may have stored its item twice).`;
  }
  for (const peer of peers) {
    text += ` ${peer.peer} grew by ${
      bytesText(peer.bytesPerItem)
    } of used_memory per ${peer.item}.`;
  }
  return text;
}

/** The CPU cost of each operation, dsync beside its peers. */
export function costText(rows: readonly CostRow[]): string {
  const measured = rows.filter((row) => row.cpuMsPerOp !== null);
  if (measured.length === 0) return "CPU per operation: no workload completed.";
  const parts = measured.map((row) =>
    `${row.system} ${row.op} ${figure(row.cpuMsPerOp!)} ms (${figure(row.opsPerSecond)}/s, ` +
    `${row.clientCount} clients)`
  );
  return `Server CPU per operation, summed over every server process: ${parts.join("; ")}.`;
}

const BINDING_TEXT = {
  cpu: "CPU is the binding bound: the machine's cores were close to fully used.",
  fsync: "fsync is the binding bound: the measured rate is what the disk's sync latency allows " +
    "with the batching seen (cycles per fsync round above).",
  neither: "Neither ceiling binds: the cores had time to spare and group commit had room to " +
    "batch more, so the rate is set by waiting: round trips, scheduling between the processes " +
    "and the slow tail of fsync.",
} as const;

/**
 * "What bounds these figures", from the fsync latency, the CPU cost and the measured rate;
 * `loadAverage1m` is the machine's during the run (other work competes for the same cores).
 */
export function boundsText(
  input: BoundInputs,
  bounds: Bounds,
  fsync: FsyncFigures,
  loadAverage1m: number,
): string {
  return [
    `fdatasync of 4 KiB in the data directory took ${figure(fsync.p50Ms)} ms at p50 and ` +
    `${figure(fsync.p99Ms)} ms at p99 (${fsync.count} calls).`,
    `A lock cycle costs ${figure(input.serverCpuMsPerOp)} ms of server CPU and ` +
    `${figure(input.clientCpuMsPerOp)} ms of load-generator CPU, so ${input.cores} cores allow ` +
    `${figure(bounds.cpuCeilingOpsPerSecond)} cycles/s for the servers alone and ` +
    `${figure(bounds.sharedCpuCeilingOpsPerSecond)} cycles/s with the load generator on the ` +
    `same machine.`,
    `With ${input.fsyncsPerOp} durable commits in sequence per cycle, one cycle per fsync ` +
    `allows ${figure(bounds.fsyncSerialCeilingOpsPerSecond)} cycles/s; group commit of all ` +
    `${input.clientCount} clients raises that to ${
      figure(bounds.fsyncBatchedCeilingOpsPerSecond)
    } cycles/s.`,
    `Measured: ${figure(input.measuredOpsPerSecond)} cycles/s with ${input.clientCount} clients, ` +
    `${figure(bounds.cpuUtilisation * 100)} % of the cores and ` +
    `${figure(bounds.opsPerFsyncRound)} cycles per fsync round.`,
    BINDING_TEXT[bounds.binding],
    `The machine's 1-minute load average was ${figure(loadAverage1m)} on ${input.cores} cores ` +
    `during the run: ${
      loadAverage1m > input.cores
        ? "other work competed for the cores, so these processes got less than the cores' time."
        : "the cores were not oversubscribed."
    }`,
  ].join(" ");
}
