import {
  type AcquireOutcome,
  type LockApplyResult,
  type LockMode,
  type LockOp,
  LockTable,
  type LockTableLimits,
} from "../../src/locks/mod.ts";

/** Options of `Driver.acquire`; defaults: exclusive, 30 s, wait, a fresh waiter id. */
export interface AcquireOptions {
  mode?: LockMode;
  ttlMs?: number;
  wait?: boolean;
  waiterId?: number;
}

/** A table plus an auto-incremented log index and shorthand ops. */
export class Driver {
  readonly table: LockTable;
  index = 0;
  #nextWaiterId = 100;

  constructor(limits: Partial<LockTableLimits> = {}) {
    this.table = new LockTable(limits);
  }

  apply(op: LockOp): LockApplyResult {
    return this.table.apply(++this.index, op);
  }

  acquireResult(name: string, owner: string, options: AcquireOptions = {}): LockApplyResult {
    return this.apply({
      op: "acquire",
      name,
      owner,
      mode: options.mode ?? "exclusive",
      ttlMs: options.ttlMs ?? 30_000,
      wait: options.wait ?? true,
      waiterId: options.waiterId ?? this.#nextWaiterId++,
    });
  }

  acquire(name: string, owner: string, options: AcquireOptions = {}): AcquireOutcome {
    return this.acquireResult(name, owner, options).outcome as AcquireOutcome;
  }

  /** The token of a granted acquire; throws otherwise. */
  grant(name: string, owner: string, options: AcquireOptions = {}): number {
    const outcome = this.acquire(name, owner, options);
    if (outcome.kind !== "granted") throw new Error(`expected a grant, got ${outcome.kind}`);
    return outcome.token;
  }

  release(name: string, owner: string, token: number | null = null): LockApplyResult {
    return this.apply({ op: "release", name, owner, token });
  }

  /** Expires grant `token`; by default for the lease index the table holds now (0 if none). */
  expire(name: string, owner: string, token: number, leaseIndex?: number): LockApplyResult {
    const held = this.table.info(name).holders.find((holder) => holder.owner === owner);
    return this.apply({
      op: "expire",
      name,
      owner,
      token,
      leaseIndex: leaseIndex ?? held?.leaseIndex ?? 0,
    });
  }
}
