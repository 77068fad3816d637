import type { RaftHost } from "../consensus/raft_host.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import type { Logger } from "../log/logger.ts";
import {
  answerOfOutcome,
  answerRead,
  encodeKvOp,
  keysOf,
  type KvAnswer,
  type KvExpireOp,
  type KvOp,
  kvOpBytes,
  type KvRequest,
  opOf,
} from "../kv/mod.ts";
import type { KvApplied, KvMachine } from "./kv_machine.ts";

/** What the service needs from the node. */
export interface KvServiceOptions {
  /** The slot's group host and machine on this node, if hosted. */
  slotOf(slot: number): { host: RaftHost<unknown>; machine: KvMachine } | undefined;
  /** Every hosted slot (the expiry timer walks them). */
  hosted(): Iterable<[number, { host: RaftHost<unknown>; machine: KvMachine }]>;
  /** Largest Raft entry of a slot group. */
  entryBytesMax: number;
  /** Period of the leader's expiry check. */
  expiryCheckMs: number;
  nowMs(): number;
  logger: Logger;
}

/**
 * Runs key-value requests on the slot leader (one slot's share each): writes are committed ops,
 * reads wait for a ReadIndex barrier (or for the expiries they proposed), and the leader's
 * tracker proposes expiries on a timer. docs/kv.md, "Driving it".
 */
export class KvService {
  readonly #options: KvServiceOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Ops answered, by kind (INFO). */
  readonly stats = { reads: 0, writes: 0, expiriesProposed: 0, refusedLimit: 0 };

  constructor(options: KvServiceOptions) {
    this.#options = options;
  }

  /** Starts the expiry timer. */
  start(): void {
    this.#timer = setInterval(() => this.#checkExpiries(), this.#options.expiryCheckMs);
  }

  /** Stops the expiry timer. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** Runs one slot's share of a request on this node, which must lead the slot. */
  async run(slot: number, request: KvRequest): Promise<KvAnswer> {
    const hosted = this.#options.slotOf(slot);
    if (hosted === undefined || !hosted.host.leading) {
      throw new ClusterError("TRYAGAIN", `slot ${slot} is not led by this node; retry`);
    }
    const { host, machine } = hosted;
    this.#track(machine, host);
    const now = this.#options.nowMs();
    const due = machine.tracker.dueAmong(keysOf(request), machine.slot, now);
    const expiries = due.map((op) => this.#proposeExpire(host, machine, op));
    const op = opOf(request);
    if (op === null) {
      this.stats.reads++;
      if (expiries.length > 0) await Promise.all(expiries);
      else await this.#readBarrier(host);
      return answerRead(request, machine.slot, machine.tracker, this.#options.nowMs())!;
    }
    this.stats.writes++;
    const bytes = kvOpBytes(op);
    if (bytes > this.#options.entryBytesMax) {
      this.stats.refusedLimit++;
      const line = `LIMIT operation of ${bytes} bytes would exceed maximum of ` +
        `${this.#options.entryBytesMax}`;
      return { kind: "error", line };
    }
    const applied = await this.#propose(host, op);
    if (applied.outcome.kind === "limit") this.stats.refusedLimit++;
    return answerOfOutcome(applied.outcome);
  }

  /**
   * A ReadIndex barrier on `host` that fails with TRYAGAIN as soon as this node stops leading
   * (a confirmation a deposed leader waits for would only come at the request timeout).
   */
  #readBarrier(host: RaftHost<unknown>): Promise<void> {
    const barrier = host.readBarrier();
    let watch: ReturnType<typeof setInterval> | undefined;
    const deposed = new Promise<never>((_, reject) => {
      watch = setInterval(() => {
        if (host.leading) return;
        barrier.catch(() => {});
        reject(new ClusterError("TRYAGAIN", "leadership moved during the read; retry"));
      }, this.#options.expiryCheckMs);
    });
    return Promise.race([barrier, deposed]).finally(() => clearInterval(watch));
  }

  async #propose(host: RaftHost<unknown>, op: KvOp): Promise<KvApplied> {
    const result = await host.propose(encodeKvOp(op)) as KvApplied | null;
    if (result === null) throw new ClusterError("ERR", "entry applied without a result");
    return result;
  }

  #proposeExpire(host: RaftHost<unknown>, machine: KvMachine, op: KvExpireOp): Promise<void> {
    this.stats.expiriesProposed++;
    return this.#propose(host, op).then(() => {}).finally(() => machine.tracker.settled(op));
  }

  /** Starts or stops following a slot's expiries as this node gains or loses its leadership. */
  #track(machine: KvMachine, host: RaftHost<unknown>): void {
    if (host.leading && !machine.tracking) {
      machine.tracking = true;
      machine.tracker.reset(machine.slot, this.#options.nowMs());
    } else if (!host.leading && machine.tracking) {
      machine.tracking = false;
      machine.tracker.clear();
    }
  }

  #checkExpiries(): void {
    const now = this.#options.nowMs();
    for (const [slot, { host, machine }] of this.#options.hosted()) {
      this.#track(machine, host);
      if (!machine.tracking) continue;
      for (const op of machine.tracker.due(now)) {
        this.#proposeExpire(host, machine, op).catch((error) =>
          this.#options.logger.debug("expiry deferred", { slot, error: String(error) })
        );
      }
    }
  }
}
