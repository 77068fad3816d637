import { LeaseTracker } from "../../src/lock_service/lease_tracker.ts";
import { decodeLockOp, LOCK_OP_VERSION, type LockOp, LockTable } from "../../src/locks/mod.ts";
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
}

/**
 * One host's replicated lock state machine: a `LockTable` fed with the committed entries that
 * carry an encoded lock op (first byte LOCK_OP_VERSION; other entries are skipped), plus the
 * host's `LeaseTracker` kept in step with the applied log (the leader proposes what falls due).
 */
export class LockApp implements SimApp {
  /** Host id. */
  readonly id: NodeId;
  /** Lease and wait deadlines by this host's clock. */
  readonly tracker = new LeaseTracker();
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
      this.tracker.applied(op, waitMs, result, this.#table, this.#ctx.nowMs());
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
}

function stateKeyOf(table: LockTable): string {
  const bytes = table.snapshot();
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}
