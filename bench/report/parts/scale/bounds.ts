/**
 * "What bounds these figures": the CPU and fsync ceilings of a workload, from the machine's cores,
 * the measured CPU cost per operation and the measured fsync latency, and which one binds. Pure.
 */

/** Fraction of a ceiling from which that resource counts as the binding one. */
export const SATURATED_FRACTION = 0.8;
/**
 * Operations per fsync round in this range: the rate is what back-to-back fsyncs allow, with no
 * group commit to speak of (below it the rate is under even the serial fsync ceiling).
 */
export const UNBATCHED_OPS_PER_FSYNC_MIN = 0.8;
export const UNBATCHED_OPS_PER_FSYNC_MAX = 1.2;

/** Measured inputs of the bound calculation (one workload, e.g. 64-client lock cycles). */
export interface BoundInputs {
  cores: number;
  /** CPU of every server process per operation, ms. */
  serverCpuMsPerOp: number;
  /** CPU of the load generator (same machine) per operation, ms. */
  clientCpuMsPerOp: number;
  /** fdatasync of 4 KiB on the data directory's disk, p50, ms. */
  fsyncP50Ms: number;
  /** Durable commits one operation waits for in sequence (2 for acquire then release). */
  fsyncsPerOp: number;
  /** Clients in flight: the most operations one group commit can batch. */
  clientCount: number;
  measuredOpsPerSecond: number;
}

/** Which resource limits the measured throughput. */
export type Binding = "cpu" | "fsync" | "neither";

/** The two ceilings and where the measured throughput stands against them. */
export interface Bounds {
  /** cores x 1000 / server CPU ms per op: every core busy with servers only. */
  cpuCeilingOpsPerSecond: number;
  /** The same with the load generator's CPU counted (it shares the machine). */
  sharedCpuCeilingOpsPerSecond: number;
  /** One operation per fsync round, rounds back to back. */
  fsyncSerialCeilingOpsPerSecond: number;
  /** Every round batching all `clientCount` clients (group commit at its best). */
  fsyncBatchedCeilingOpsPerSecond: number;
  /** Share of all cores the servers and the load generator used, 0..1 (can exceed 1 by noise). */
  cpuUtilisation: number;
  /** Operations each fsync round must have carried on average to reach the measured rate. */
  opsPerFsyncRound: number;
  binding: Binding;
}

/** Computes the ceilings; throws RangeError on a non-positive input. */
export function computeBounds(input: BoundInputs): Bounds {
  for (const [name, value] of Object.entries(input)) {
    if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      throw new RangeError(`Cannot compute bounds: ${name} is ${value}, expected > 0`);
    }
  }
  const coreMs = input.cores * 1000;
  const cpuCeiling = coreMs / input.serverCpuMsPerOp;
  const sharedCeiling = coreMs / (input.serverCpuMsPerOp + input.clientCpuMsPerOp);
  const fsyncSerial = 1000 / (input.fsyncP50Ms * input.fsyncsPerOp);
  const fsyncBatched = fsyncSerial * input.clientCount;
  const cpuUtilisation = input.measuredOpsPerSecond / sharedCeiling;
  const opsPerFsyncRound = input.measuredOpsPerSecond / fsyncSerial;
  let binding: Binding = "neither";
  if (cpuUtilisation >= SATURATED_FRACTION) binding = "cpu";
  else if (
    input.measuredOpsPerSecond >= SATURATED_FRACTION * fsyncBatched ||
    (opsPerFsyncRound >= UNBATCHED_OPS_PER_FSYNC_MIN &&
      opsPerFsyncRound <= UNBATCHED_OPS_PER_FSYNC_MAX)
  ) binding = "fsync";
  return {
    cpuCeilingOpsPerSecond: cpuCeiling,
    sharedCpuCeilingOpsPerSecond: sharedCeiling,
    fsyncSerialCeilingOpsPerSecond: fsyncSerial,
    fsyncBatchedCeilingOpsPerSecond: fsyncBatched,
    cpuUtilisation,
    opsPerFsyncRound,
    binding,
  };
}
