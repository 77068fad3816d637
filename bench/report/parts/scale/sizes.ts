/** How big each measurement of the scale section is, full and quick. */
import type { CostSizes } from "./cost.ts";
import type { MemorySizes } from "./memory.ts";

/** Every size of one run of the section. */
export interface ScaleSizes {
  /** `--slots` of each idle cluster (3 nodes). */
  slotCounts: number[];
  idleWindowMs: number;
  memory: MemorySizes;
  /** Keys SET into redis-server for its bytes per key. */
  redisKeyCount: number;
  cost: CostSizes;
  /** fdatasync calls of the fsync probe. */
  fsyncCount: number;
}

/** Sizes of a full run (about 6 minutes on 2 cores) and of `--quick` (small, for CI). */
export function scaleSizes(quick: boolean): ScaleSizes {
  if (quick) {
    return {
      slotCounts: [16],
      idleWindowMs: 1_000,
      memory: {
        lockCount: 2_000,
        messageCount: 1_000,
        lineCount: 1_000,
        stepCount: 2,
        settleMs: 300,
      },
      redisKeyCount: 1_000,
      cost: {
        lockClientCount: 64,
        levelSeconds: 1,
        kvClientCount: 16,
        kvCount: 500,
        kvTimeoutMs: 2_000,
      },
      fsyncCount: 50,
    };
  }
  return {
    slotCounts: [16, 64, 256],
    idleWindowMs: 5_000,
    memory: {
      lockCount: 20_000,
      messageCount: 20_000,
      lineCount: 10_000,
      stepCount: 4,
      settleMs: 1_000,
    },
    redisKeyCount: 10_000,
    cost: {
      lockClientCount: 64,
      levelSeconds: 5,
      kvClientCount: 16,
      kvCount: 20_000,
      kvTimeoutMs: 8_000,
    },
    fsyncCount: 200,
  };
}

/** Progress steps of a run: fsync, each idle size, 3 fills + redis, systems start, 9 costs. */
export function scaleStepCount(sizes: ScaleSizes): number {
  return 1 + sizes.slotCounts.length + 4 + 1 + 9;
}
