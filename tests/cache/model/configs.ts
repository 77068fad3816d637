/**
 * Configurations of the cache protocol check: `CI_CONFIGS` run in the test suite (well under a
 * minute together), `LARGE_CONFIGS` from `deno task check:cache`.
 * @module
 */
import type { CacheTiming } from "../../../src/cache/limits.ts";
import type { ScriptOp, WorldConfig } from "./mesi_world.ts";

/** Ticks: lease 3, the home waits 1 more; requests time out after 4. */
export const MODEL_TIMING: CacheTiming = {
  leaseMs: 3,
  holderMarginMs: 1,
  expiryMarginMs: 0,
  writeBackMs: 1,
};

const r = (key: number): ScriptOp => ({ kind: "read", key, writeId: 0 });
const w = (key: number, writeId: number): ScriptOp => ({ kind: "write", key, writeId });

/** A named configuration. */
export interface NamedConfig {
  name: string;
  config: WorldConfig;
}

function config(scripts: ScriptOp[][], extra: Partial<WorldConfig>): WorldConfig {
  return {
    scripts,
    keyCount: 1,
    timing: MODEL_TIMING,
    maxEntries: 8,
    ticksMax: 5,
    dropsMax: 1,
    homeChangesMax: 1,
    requestTimeoutTicks: 4,
    ...extra,
  };
}

/** Small enough for CI (together about 45 s on a loaded 2-core machine). */
export const CI_CONFIGS: NamedConfig[] = [
  {
    name: "2 nodes, 1 key, n0: write; n1: read, read; one loss",
    config: config([[w(0, 1)], [r(0), r(0)]], { ticksMax: 4, homeChangesMax: 0 }),
  },
  {
    name: "2 nodes, 1 key, n0: write; n1: read; one home change",
    config: config([[w(0, 1)], [r(0)]], { ticksMax: 4, dropsMax: 0 }),
  },
  {
    name: "3 nodes, 1 key, n0: write; n1: write; n2: read",
    config: config([[w(0, 1)], [w(0, 2)], [r(0)]], { ticksMax: 2, dropsMax: 0, homeChangesMax: 0 }),
  },
  {
    name: "2 nodes, 2 keys, 1 line each, n0: write k0, read k1; n1: read k0, write k1",
    config: config([[w(0, 1), r(1)], [r(0), w(1, 2)]], {
      keyCount: 2,
      maxEntries: 1,
      ticksMax: 2,
      dropsMax: 0,
      homeChangesMax: 0,
    }),
  },
];

/** Lease renewal ahead of time (the node keeps answering from the line while it asks). */
export const RENEWAL_CONFIGS: NamedConfig[] = [
  {
    name: "2 nodes, 1 key, renewals: n0: read, read; n1: write; one loss",
    config: config([[r(0), r(0)], [w(0, 1)]], { ticksMax: 4, homeChangesMax: 0, renewalsMax: 1 }),
  },
  {
    name: "2 nodes, 1 key, renewals: n0: read, read; n1: write; one home change (no fence)",
    config: config([[r(0), r(0)], [w(0, 1)]], {
      ticksMax: 3,
      dropsMax: 0,
      renewalsMax: 1,
      fence: false,
    }),
  },
];

/**
 * The epoch fence (a new home's Fences and their FenceAcks delayed, reordered or lost). Two ticks
 * are shorter than a new home's wait for old leases (lease 3 + margin 1), so a write after the
 * home change completes only through the fence.
 */
export const FENCE_CONFIGS: NamedConfig[] = [
  {
    name: "2 nodes, 1 key, n0: read; n1: write; one home change, one loss (fence)",
    config: config([[r(0)], [w(0, 1)]], { ticksMax: 2 }),
  },
];

/**
 * The configuration the mutants are hunted in: two readers before the write (so a sharer in S
 * exists to be forgotten) and a home change without the fence (so the startup wait is the only
 * protection). The search stops at the first violation.
 */
export const MUTANT_CONFIG: NamedConfig = {
  name: "2 nodes, 1 key, n0: read, write; n1: read, read; one home change (no fence)",
  config: config([[r(0), w(0, 1)], [r(0), r(0)]], { ticksMax: 4, dropsMax: 0, fence: false }),
};

/**
 * The configuration the renewal mutant is hunted in: n1 holds the line and renews it while n0's
 * write has its Invalidate out (delayed in the bag), which the home must refuse.
 */
export const RENEW_MUTANT_CONFIG: NamedConfig = {
  name: "2 nodes, 1 key, renewals: n0: write; n1: read, read, read",
  config: config([[w(0, 1)], [r(0), r(0), r(0)]], {
    ticksMax: 4,
    dropsMax: 0,
    homeChangesMax: 0,
    renewalsMax: 1,
  }),
};

/** The configuration the fence's mutants are hunted in: n0 holds a line when the home moves. */
export const FENCE_MUTANT_CONFIG: NamedConfig = {
  name: "2 nodes, 1 key, n0: read; n1: write; one home change (fence)",
  config: config([[r(0)], [w(0, 1)]], { ticksMax: 2, dropsMax: 0 }),
};

/**
 * A write-back configuration without faults within a lease (two ticks, no loss, no home change);
 * `lines` 1 gives each node one line for two keys (every second miss evicts).
 */
function writeBack(scripts: ScriptOp[][], lines?: 1): WorldConfig {
  const evicting = lines === 1 ? { keyCount: 2, maxEntries: 1 } : {};
  return config(scripts, {
    writeMode: "back",
    ticksMax: 2,
    dropsMax: 0,
    homeChangesMax: 0,
    ...evicting,
  });
}

/**
 * Write-back (`--cache-write back`): a write on a line the node owns is acknowledged locally and
 * reaches the home later (WriteBack each tick, a final one on eviction, or the dirty value in the
 * ack of a Forward/Invalidate). Without faults and within a lease (two ticks, lease 3: no line
 * lapses) nothing may be lost: every read returns the last acknowledged write or a concurrent one.
 * Messages are still delayed and reordered arbitrarily.
 */
export const WRITE_BACK_CONFIGS: NamedConfig[] = [
  {
    name: "write-back, 2 nodes, 1 key, n0: write, write, read; n1: read, write",
    config: writeBack([[w(0, 1), w(0, 2), r(0)], [r(0), w(0, 3)]]),
  },
  {
    name: "write-back, 2 nodes, 2 keys, 1 line each, n0: write k0, write k0, read k1; n1: read k0",
    config: writeBack([[w(0, 1), w(0, 2), r(1)], [r(0)]], 1),
  },
  {
    name: "write-back, 3 nodes, 1 key, n0: write, write; n1: read; n2: write",
    config: writeBack([[w(0, 1), w(0, 2)], [r(0)], [w(0, 3)]]),
  },
  {
    name: "write-back under faults, 2 nodes, 1 key, n0: write, write; n1: read; one loss, leases " +
      "lapse (acknowledged writes may be lost: single writer and written values only)",
    config: config([[w(0, 1), w(0, 2)], [r(0)]], {
      writeMode: "back",
      ticksMax: 4,
      homeChangesMax: 0,
      acknowledgedWritesMayBeLost: true,
    }),
  },
  {
    name: "write-back under faults, 2 nodes, 1 key, n0: write, write; n1: read; one home change " +
      "(acknowledged writes may be lost: single writer and written values only)",
    config: config([[w(0, 1), w(0, 2)], [r(0)]], {
      writeMode: "back",
      ticksMax: 2,
      dropsMax: 0,
      acknowledgedWritesMayBeLost: true,
    }),
  },
];

/**
 * A stopping home (docs/cache.md, "A graceful stop"): it may start recalling its lines at any
 * point, and the home moves to the next node only once the recall is done. Without faults nothing
 * may be lost, in write-back (the dirty data in the Invalidates' acks) as in write-through.
 */
export const RECALL_CONFIGS: NamedConfig[] = [
  {
    name: "write-back, recall, 2 nodes, 1 key, n0: write, write; n1: read; one home change after " +
      "the recall",
    config: config([[w(0, 1), w(0, 2)], [r(0)]], {
      writeMode: "back",
      ticksMax: 2,
      dropsMax: 0,
      recall: true,
    }),
  },
  {
    name: "recall, 2 nodes, 1 key, n0: write; n1: read, read; one home change after the recall",
    config: config([[w(0, 1)], [r(0), r(0)]], { ticksMax: 2, dropsMax: 0, recall: true }),
  },
];

/** The configuration the recall's mutant is hunted in: n0's dirty line when the recall starts. */
export const RECALL_MUTANT_CONFIG: NamedConfig = RECALL_CONFIGS[0]!;

/**
 * The configuration the write-back mutants are hunted in: n0 owns k0 with a write not yet at the
 * home when its read of k1 evicts the line (one line per node) and n1 reads k0.
 */
export const WRITE_BACK_MUTANT_CONFIG: NamedConfig = WRITE_BACK_CONFIGS[1]!;

/** Bigger, for `deno task check:cache`. */
export const LARGE_CONFIGS: NamedConfig[] = [
  {
    name: "2 nodes, 1 key, renewals: n0: read, read; n1: write; one home change (fence)",
    config: config([[r(0), r(0)], [w(0, 1)]], { ticksMax: 3, dropsMax: 0, renewalsMax: 1 }),
  },
  {
    name: "2 nodes, 1 key, n0: write, read; n1: read, read; one loss, one home change",
    config: config([[w(0, 1), r(0)], [r(0), r(0)]], {}),
  },
  {
    name: "3 nodes, 1 key, n0: write; n1: write; n2: read, read; one loss, one home change",
    config: config([[w(0, 1)], [w(0, 2)], [r(0), r(0)]], {}),
  },
  {
    name: "2 nodes, 2 keys, 1 line each: n0: write k0, read k1, read k0; n1: read k0, write k1, " +
      "read k1; one loss, one home change",
    config: config([[w(0, 1), r(1), r(0)], [r(0), w(1, 2), r(1)]], {
      keyCount: 2,
      maxEntries: 1,
      ticksMax: 6,
    }),
  },
  {
    name: "write-back, 2 nodes, 2 keys, 1 line each, n0: write k0, write k0, read k1, read k0; " +
      "n1: write k1, read k0",
    config: writeBack([[w(0, 1), w(0, 2), r(1), r(0)], [w(1, 3), r(0)]], 1),
  },
  {
    name: "write-back under faults, 2 nodes, 1 key, n0: write, write; n1: read, read; one loss, " +
      "5 ticks (single writer and written values only)",
    config: config([[w(0, 1), w(0, 2)], [r(0), r(0)]], {
      writeMode: "back",
      ticksMax: 5,
      homeChangesMax: 0,
      acknowledgedWritesMayBeLost: true,
    }),
  },
  {
    name: "write-back under faults, 2 nodes, 1 key, n0: write, write; n1: read; one loss, one " +
      "home change, 3 ticks (single writer and written values only)",
    config: config([[w(0, 1), w(0, 2)], [r(0)]], {
      writeMode: "back",
      ticksMax: 3,
      acknowledgedWritesMayBeLost: true,
    }),
  },
];
