import { LeaseExpiry } from "../../src/lock_service/lease_expiry.ts";
import {
  decodeLockOp,
  encodeLockOp,
  LOCK_OP_VERSION,
  type LockOp,
  LockTable,
} from "../../src/locks/mod.ts";
import type { Entry, NodeId } from "../../src/raft/mod.ts";
import type { SimApp } from "./app.ts";
import type { AppliedLockOp, LockHistory } from "./lock_history.ts";

/** What every host's lock app shares with the workload. */
export interface LockAppContext {
  /** The cross-node record and checker. */
  history: LockHistory;
  /** Virtual now in ms (the host's clock for lease deadlines). */
  nowMs(): number;
  /** The client's WAIT in ms of the acquire that chose `waiterId` (0 if unknown). */
  waitMs(waiterId: number): number;
  /** True while node `id` leads the lock group. */
  isLeader(id: NodeId): boolean;
  /** Proposes `bytes` through the production host of `id`; settles once applied or failed. */
  propose(id: NodeId, bytes: Uint8Array): Promise<unknown>;
  /** Longest client wait (a new leader gives every parked wait this long). */
  waitMaxMs: number;
  /** Counts an expiry or cancel proposal (`failed` once it failed), a reset of the deadlines. */
  count(what: "timerProposal" | "timerFailure" | "trackerReset"): void;
}

/**
 * One host's replicated lock state machine: a `LockTable` fed with the committed entries that
 * carry an encoded lock op (first byte LOCK_OP_VERSION; other entries are skipped), plus the
 * production expiry timer (`LeaseExpiry`, with its `LeaseTracker`) on the virtual clock: it
 * follows the applied log, and on the leader each tick proposes what fell due.
 */
export class LockApp implements SimApp {
  /** Host id. */
  readonly id: NodeId;
  /** The production expiry timer of this host. */
  readonly expiry: LeaseExpiry;
  #table: LockTable;
  #stateKey: string;
  readonly #ctx: LockAppContext;

  /** Restores the table from `image` (empty: a new table) and checks it against the history. */
  constructor(id: NodeId, index: number, image: Uint8Array, ctx: LockAppContext) {
    this.id = id;
    this.#ctx = ctx;
    this.#table = image.length === 0 ? new LockTable() : LockTable.restore(image);
    this.#stateKey = stateKeyOf(this.#table);
    ctx.history.onRestore(id, index, this.#stateKey);
    this.expiry = new LeaseExpiry({
      isLeader: () => ctx.isLeader(id),
      table: () => this.#table,
      propose: (op) => {
        ctx.count("timerProposal");
        return ctx.propose(id, encodeLockOp(op));
      },
      nowMs: () => ctx.nowMs(),
      waitMaxMs: ctx.waitMaxMs,
      onProposeError: () => ctx.count("timerFailure"),
    });
    const tracker = this.expiry.tracker;
    const reset = tracker.reset.bind(tracker);
    tracker.reset = (...args) => {
      ctx.count("trackerReset");
      reset(...args);
    };
  }

  /** The table (read-only use outside apply). */
  get table(): LockTable {
    return this.#table;
  }

  /** Applies a committed entry; undecodable lock entries throw (the log is corrupt). */
  apply(entry: Entry): void {
    let applied: AppliedLockOp | null = null;
    if (entry.kind === "normal" && entry.data[0] === LOCK_OP_VERSION) {
      const op: LockOp = decodeLockOp(entry.data);
      const result = this.#table.apply(entry.index, op);
      const waitMs = op.op === "acquire" ? this.#ctx.waitMs(op.waiterId) : 0;
      this.expiry.applied(op, waitMs, result);
      this.#stateKey = stateKeyOf(this.#table);
      applied = { op, result };
    }
    const history = this.#ctx.history;
    history.onApply(this.id, entry.index, this.#stateKey, applied, this.#table, this.#ctx.nowMs());
  }

  /** The table's snapshot bytes. */
  snapshot(): Uint8Array {
    return this.#table.snapshot();
  }

  /** The node's expiry check (production runs it every `expiryCheckMs`; here every tick). */
  tick(): void {
    this.expiry.check();
  }
}

function stateKeyOf(table: LockTable): string {
  const bytes = table.snapshot();
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}
