/**
 * The lease workload of a chaos run: short leases (100 ms - 2 s) refreshed 5-25 ms before they
 * end, blocking `WAIT`s with timeouts, clients that close their connection mid-wait, shared and
 * exclusive grants with upgrades and downgrades, nested acquires of a second lock with WAIT (two
 * owners each holding one lock and waiting for the other's: deadlock attempts), reconnects that
 * keep the owner's locks, and abandoned leases left to expire. Owner ids are `c<p>.<incarnation>`:
 * unique per client incarnation, so every reply can be matched to its requester. All waits,
 * sleeps and retries are bounded; every call is recorded like the basic workload's.
 */
import { SeededRandom } from "../../../src/raft/mod.ts";
import { type HistoryRecorder, type JsonValue, outcomeOfError } from "../history.ts";
import { delay } from "./harness.ts";
import {
  lockName,
  WORKLOAD_DEFAULTS,
  WorkloadClient,
  type WorkloadOptions,
  type WorkloadSummary,
} from "./workload.ts";

/** Bounds of the lease workload's choices. */
export const LEASE_WORKLOAD_LIMITS = {
  ttlMsMin: 100,
  ttlMsMax: 2_000,
  waitMsMax: 1_500,
  refreshLeadMsMin: 5,
  refreshLeadMsMax: 25,
  holdStepsMax: 4,
} as const;

/** What the lease workload exercised, by kind (counts of operations or events). */
export interface LeaseWorkloadCounts {
  /** Refreshes sent 5-25 ms before the client's estimate of the lease end. */
  refreshesNearEnd: number;
  /** Acquires with WAIT > 0. */
  waits: number;
  /** Waits whose connection the client closed before the reply. */
  disconnectsMidWait: number;
  /** Nested acquires (holding one lock, waiting for another). */
  nestedWaits: number;
  /** `-DEADLOCK` replies. */
  deadlocks: number;
  /** Upgrade (shared to exclusive) and downgrade requests. */
  modeChanges: number;
  /** Holds left to expire (not released). */
  abandoned: number;
  /** Client incarnations started after the first (a new owner id each). */
  reincarnations: number;
}

type Recorded =
  | { readonly outcome: "ok"; readonly value: JsonValue }
  | { readonly outcome: "error"; readonly text: string }
  | { readonly outcome: "skipped" };

interface Hold {
  readonly lock: string;
  token: number;
  mode: "SHARED" | "EXCLUSIVE";
  ttlMs: number;
  /** Client clock when the last renewal was sent (the lease is counted from about then). */
  renewedAtMs: number;
}

/** Runs the lease workload until `shouldStop()` or the operation bound. */
export async function runLeaseWorkload(
  recorder: HistoryRecorder,
  options: WorkloadOptions,
  shouldStop: () => boolean,
): Promise<WorkloadSummary & { readonly counts: LeaseWorkloadCounts }> {
  const o = { ...WORKLOAD_DEFAULTS, ...options };
  const counts: LeaseWorkloadCounts = {
    refreshesNearEnd: 0,
    waits: 0,
    disconnectsMidWait: 0,
    nestedWaits: 0,
    deadlocks: 0,
    modeChanges: 0,
    abandoned: 0,
    reincarnations: 0,
  };
  let operationCount = 0;
  let capped = false;
  const stop = () => {
    if (operationCount >= o.operationCountMax) capped = true;
    return capped || shouldStop();
  };
  const clients = Array.from(
    { length: o.clientCount },
    (_, p) => new WorkloadClient(p, `c${p}`, o.ports, o.callTimeoutMs),
  );
  await Promise.all(clients.map(async (client) => {
    const random = new SeededRandom((o.seed * 1_000_003 + client.process + 7_919) >>> 0);
    const session = new LeaseSession(client, random, recorder, o.lockCount, counts, () => {
      operationCount++;
    });
    try {
      while (!stop()) await session.step(stop);
    } finally {
      client.close();
    }
  }));
  return { operationCount, operationCountCapped: capped, counts };
}

/** One client's choices; `step` runs one bounded session (a read, or acquire-hold-end). */
class LeaseSession {
  #incarnation = 0;

  constructor(
    readonly client: WorkloadClient,
    readonly random: SeededRandom,
    readonly recorder: HistoryRecorder,
    readonly lockCount: number,
    readonly counts: LeaseWorkloadCounts,
    readonly counted: () => void,
  ) {}

  get owner(): string {
    return `c${this.client.process}.${this.#incarnation}`;
  }

  async step(stop: () => boolean): Promise<void> {
    await delay(this.random.int(31));
    const lock = this.#lock();
    if (this.random.next() < 0.08) {
      await this.#record("LOCK.INFO", [lock]);
      return;
    }
    const mode = this.random.next() < 0.3 ? "SHARED" : "EXCLUSIVE";
    const hold = await this.#acquire(lock, mode, this.#ttl(), this.#wait(0.5), stop);
    if (hold === null) return;
    const steps = 1 + this.random.int(LEASE_WORKLOAD_LIMITS.holdStepsMax);
    for (let i = 0; i < steps && !stop(); i++) {
      if (!await this.#holdStep(hold, stop)) return; // the hold is gone
    }
    const end = this.random.next();
    if (end < 0.8) await this.#release(hold, stop);
    else {
      this.counts.abandoned++;
      if (end > 0.95) {
        this.#incarnation++; // the client "crashed": a new owner, old leases left to expire
        this.counts.reincarnations++;
      }
    }
  }

  /** One thing done while holding; false when the hold is known to be gone. */
  async #holdStep(hold: Hold, stop: () => boolean): Promise<boolean> {
    const choice = this.random.next();
    if (choice < 0.45) return await this.#refreshNearEnd(hold);
    if (choice < 0.55) {
      // Renewal by idempotent re-acquire: the same token back.
      const result = await this.#record("LOCK.ACQUIRE", this.#acquireArgs(hold, hold.mode, 0));
      if (result.outcome === "ok" && result.value === hold.token) {
        hold.renewedAtMs = performance.now();
      }
      return !(result.outcome === "ok" && result.value !== hold.token);
    }
    if (choice < 0.7) return await this.#changeMode(hold);
    if (choice < 0.9) {
      await this.#nested(hold.lock, stop);
      return true;
    }
    if (choice < 0.95) this.client.moveOn(); // reconnect elsewhere: ownership is by owner
    await delay(this.random.int(21));
    return true;
  }

  async #refreshNearEnd(hold: Hold): Promise<boolean> {
    const { refreshLeadMsMin: min, refreshLeadMsMax: max } = LEASE_WORKLOAD_LIMITS;
    const leadMs = min + this.random.int(max - min + 1);
    const waitMs = hold.renewedAtMs + hold.ttlMs - leadMs - performance.now();
    await delay(Math.max(0, Math.min(waitMs, LEASE_WORKLOAD_LIMITS.ttlMsMax)));
    this.counts.refreshesNearEnd++;
    const sentMs = performance.now();
    const args = [hold.lock, this.owner, String(hold.ttlMs), "TOKEN", String(hold.token)];
    const result = await this.#record("LOCK.REFRESH", args);
    if (result.outcome === "ok" && result.value === 1) hold.renewedAtMs = sentMs;
    return !(result.outcome === "ok" && result.value === 0);
  }

  /** Upgrade a shared hold (new token, maybe after a wait) or downgrade an exclusive one. */
  async #changeMode(hold: Hold): Promise<boolean> {
    this.counts.modeChanges++;
    const mode = hold.mode === "SHARED" ? "EXCLUSIVE" : "SHARED";
    const waitMs = mode === "EXCLUSIVE" ? this.#wait(0.5, 800) : 0;
    const sentMs = performance.now();
    const result = await this.#record("LOCK.ACQUIRE", this.#acquireArgs(hold, mode, waitMs));
    if (result.outcome === "ok" && typeof result.value === "number") {
      Object.assign(hold, { token: result.value, mode, renewedAtMs: sentMs });
    }
    return result.outcome !== "error" || outcomeOfError(result.text) === "fail";
  }

  /** Holding `held`, wait for another lock: others may hold it and wait for ours. */
  async #nested(held: string, stop: () => boolean): Promise<void> {
    if (this.lockCount < 2) return;
    let lock = this.#lock();
    while (lock === held) lock = this.#lock();
    this.counts.nestedWaits++;
    const mode = this.random.next() < 0.3 ? "SHARED" : "EXCLUSIVE";
    const inner = await this.#acquire(lock, mode, this.#ttl(), this.#wait(1), stop);
    if (inner === null) return;
    await delay(this.random.int(31));
    await this.#release(inner, stop);
  }

  /** Acquires (resolving an unknown outcome by asking again); the hold, or null. */
  async #acquire(
    lock: string,
    mode: "SHARED" | "EXCLUSIVE",
    ttlMs: number,
    waitMs: number,
    stop: () => boolean,
  ): Promise<Hold | null> {
    const hold: Hold = { lock, token: 0, mode, ttlMs, renewedAtMs: performance.now() };
    if (waitMs > 0) this.counts.waits++;
    const closeAfterMs = waitMs > 0 && this.random.next() < 0.15
      ? this.random.int(waitMs)
      : undefined;
    if (closeAfterMs !== undefined) this.counts.disconnectsMidWait++;
    let result = await this.#record("LOCK.ACQUIRE", this.#acquireArgs(hold, mode, waitMs), {
      extraMs: waitMs,
      ...(closeAfterMs === undefined ? {} : { closeAfterMs }),
    });
    for (let attempt = 0; attempt < WORKLOAD_DEFAULTS.resolveAttemptsMax; attempt++) {
      if (result.outcome === "ok") break;
      if (result.outcome === "error" && outcomeOfError(result.text) === "fail") return null;
      if (stop()) return null;
      // Unknown: the grant may exist (a wait granted as the client left); asking again with
      // WAIT 0 returns its token, or grants now, or says busy.
      await delay(10 + this.random.int(40));
      hold.renewedAtMs = performance.now();
      result = await this.#record("LOCK.ACQUIRE", this.#acquireArgs(hold, mode, 0));
    }
    if (result.outcome !== "ok" || typeof result.value !== "number") return null;
    hold.token = result.value;
    if (waitMs > 0) hold.renewedAtMs = performance.now(); // granted just before the reply
    return hold;
  }

  async #release(hold: Hold, stop: () => boolean): Promise<void> {
    const args = [hold.lock, this.owner, "TOKEN", String(hold.token)];
    for (let attempt = 0; attempt < WORKLOAD_DEFAULTS.resolveAttemptsMax && !stop(); attempt++) {
      if ((await this.#record("LOCK.RELEASE", args)).outcome === "ok") return;
      await delay(10 + this.random.int(40));
    }
  }

  #acquireArgs(hold: Hold, mode: string, waitMs: number): string[] {
    return [hold.lock, this.owner, mode, "TTL", String(hold.ttlMs), "WAIT", String(waitMs)];
  }

  #lock(): string {
    return lockName(this.random.int(this.lockCount));
  }

  #ttl(): number {
    const { ttlMsMin: min, ttlMsMax: max } = LEASE_WORKLOAD_LIMITS;
    return min + this.random.int(max - min + 1);
  }

  /** 0 (try once) with probability `1 - waitShare`, else 100 ms..`maxMs`. */
  #wait(waitShare: number, maxMs: number = LEASE_WORKLOAD_LIMITS.waitMsMax): number {
    return this.random.next() < waitShare ? 100 + this.random.int(maxMs - 99) : 0;
  }

  async #record(
    op: string,
    args: string[],
    call: { extraMs?: number; closeAfterMs?: number } = {},
  ): Promise<Recorded> {
    if (!await this.client.connect()) return { outcome: "skipped" };
    this.counted();
    try {
      const value = await this.recorder.run(
        this.client.process,
        op,
        args,
        () => this.client.call([op, ...args], call.extraMs ?? 0, call.closeAfterMs),
      );
      return { outcome: "ok", value };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (/^-?DEADLOCK/.test(text)) this.counts.deadlocks++;
      // No leader or no quorum: back off rather than spin through the election.
      if (/^-?(TRYAGAIN|NOQUORUM)/.test(text)) await delay(50 + this.random.int(51));
      return { outcome: "error", text };
    }
  }
}
