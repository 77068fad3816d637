import type { RaftHost } from "../consensus/raft_host.ts";
import { type HostClock, SYSTEM_CLOCK } from "../consensus/host_clock.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import type { Logger } from "../log/logger.ts";
import {
  answerOfOutcome,
  answerRead,
  encodeKvOp,
  keysOf,
  type KvAnswer,
  type KvCondition,
  type KvExpireOp,
  type KvOp,
  kvOpBytes,
  type KvPair,
  type KvRequest,
  opOf,
} from "../kv/mod.ts";
import type { KvApplied, KvMachine } from "./kv_machine.ts";
import type { HostedSlots } from "../subsystem/hosted_slots.ts";

/** One key as the cache's home sees it after a read or a write (see KvService.readKey). */
export interface KvKeyState {
  /** The value, or null when the key does not exist. */
  value: Uint8Array | null;
  /** Milliseconds left on the leader's clock, or null (no expiry, or missing). */
  ttlRemainingMs: number | null;
}

/** The outcome of KvService.writeKey: the key as applied, or the store's refusal line. */
export type KvKeyWrite =
  | KvKeyState & {
    kind: "written";
    /** SET: its NX/XX condition held; DEL: the key existed. */
    applied: boolean;
  }
  | { kind: "refused"; line: string };

/** What the service needs from the node (the hosted slots: the expiry timer walks them). */
export interface KvServiceOptions extends HostedSlots<KvMachine> {
  /** Largest Raft entry of a slot group. */
  entryBytesMax: number;
  /** Period of the leader's expiry check. */
  expiryCheckMs: number;
  nowMs(): number;
  /** Timers of the read barrier's leadership watch (default the process's; the simulator's). */
  clock?: HostClock;
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
   * A linearizable read of one key for the cache's home: its value and TTL left after the
   * expiries due for it and a ReadIndex barrier started now. Throws TRYAGAIN when not leading.
   */
  async readKey(slot: number, key: Uint8Array): Promise<KvKeyState> {
    const { host, machine } = this.#leading(slot);
    const expiries = machine.tracker.dueAmong([key], machine.slot, this.#options.nowMs())
      .map((op) => this.#proposeExpire(host, machine, op));
    this.stats.reads++;
    if (expiries.length > 0) await Promise.all(expiries);
    else await this.#readBarrier(host);
    return this.#keyState(machine, key);
  }

  /**
   * Resolves once this node is confirmed to lead slot `slot` by a ReadIndex barrier started now
   * (the cache home's leadership barrier for slot renewals; nothing is read or written). Throws
   * TRYAGAIN when not leading, or when leadership moves before the confirmation.
   */
  async confirmLead(slot: number): Promise<void> {
    const { host } = this.#leading(slot);
    await this.#readBarrier(host);
  }

  /**
   * Commits a SET (`value`) or a DEL (`value` null) of one key for the cache's home and answers
   * the key as applied. Throws TRYAGAIN when not leading (or the commit fails).
   */
  async writeKey(
    slot: number,
    key: Uint8Array,
    write: { value: Uint8Array | null; ttlMs: number | null; condition: KvCondition },
  ): Promise<KvKeyWrite> {
    const { host, machine } = this.#leading(slot);
    for (const due of machine.tracker.dueAmong([key], machine.slot, this.#options.nowMs())) {
      void this.#proposeExpire(host, machine, due).catch(() => {});
    }
    this.stats.writes++;
    const op: KvOp = write.value === null
      ? { op: "del", keys: [key] }
      : { op: "set", key, value: write.value, ttlMs: write.ttlMs, condition: write.condition };
    const bytes = kvOpBytes(op);
    if (bytes > this.#options.entryBytesMax) {
      this.stats.refusedLimit++;
      const line = `LIMIT operation of ${bytes} bytes would exceed maximum of ` +
        `${this.#options.entryBytesMax}`;
      return { kind: "refused", line };
    }
    const { outcome } = await this.#propose(host, op);
    switch (outcome.kind) {
      case "ok":
        return { kind: "written", applied: true, value: write.value, ttlRemainingMs: write.ttlMs };
      case "notSet":
        return { kind: "written", applied: false, ...this.#keyState(machine, key) };
      case "deleted":
        return { kind: "written", applied: outcome.count > 0, value: null, ttlRemainingMs: null };
      default: {
        if (outcome.kind === "limit") this.stats.refusedLimit++;
        const answer = answerOfOutcome(outcome);
        return { kind: "refused", line: answer.kind === "error" ? answer.line : "ERR refused" };
      }
    }
  }

  /**
   * Commits plain SETs (no TTL, no condition) of distinct keys of one slot for the cache's home
   * in as few entries as fit `entryBytesMax` (each an `mset`, applied atomically) and answers
   * each key as written, in order; a pair too large for an entry alone is refused. Throws
   * TRYAGAIN when not leading (or a commit fails): then none is known to be written.
   */
  async writePairs(slot: number, pairs: KvPair[]): Promise<KvKeyWrite[]> {
    const { host, machine } = this.#leading(slot);
    const keys = pairs.map((pair) => pair.key);
    for (const due of machine.tracker.dueAmong(keys, machine.slot, this.#options.nowMs())) {
      void this.#proposeExpire(host, machine, due).catch(() => {});
    }
    this.stats.writes += pairs.length;
    const results: Array<KvKeyWrite | null> = pairs.map(() => null);
    const commits: Promise<void>[] = [];
    const entryBytesMax = this.#options.entryBytesMax;
    // mset bytes are additive: the empty op's, plus each pair's share.
    const emptyBytes = kvOpBytes({ op: "mset", pairs: [] });
    let chunk: number[] = [];
    let chunkBytes = emptyBytes;
    const propose = (indexes: number[]) => {
      const op: KvOp = { op: "mset", pairs: indexes.map((i) => pairs[i]!) };
      commits.push(
        this.#propose(host, op).then(({ outcome }) => {
          for (const i of indexes) {
            const { value } = pairs[i]!;
            results[i] = outcome.kind === "ok"
              ? { kind: "written", applied: true, value, ttlRemainingMs: null }
              : { kind: "refused", line: refusalLine(outcome) };
          }
        }),
      );
    };
    // Greedy: a chunk grows while its op fits one entry.
    for (let i = 0; i < pairs.length; i++) {
      const alone = kvOpBytes({ op: "mset", pairs: [pairs[i]!] });
      if (alone > entryBytesMax) {
        this.stats.refusedLimit++;
        const line = `LIMIT operation of ${alone} bytes would exceed maximum of ${entryBytesMax}`;
        results[i] = { kind: "refused", line };
        continue;
      }
      const pairBytes = alone - emptyBytes;
      if (chunkBytes + pairBytes > entryBytesMax) {
        propose(chunk);
        chunk = [];
        chunkBytes = emptyBytes;
      }
      chunk.push(i);
      chunkBytes += pairBytes;
    }
    if (chunk.length > 0) propose(chunk);
    await Promise.all(commits);
    return results.map((result) => {
      if (result === null) throw new Error("writePairs left a pair without an answer");
      return result;
    });
  }

  #leading(slot: number): { host: RaftHost<unknown>; machine: KvMachine } {
    const hosted = this.#options.slotOf(slot);
    if (hosted === undefined || !hosted.host.leading) {
      throw new ClusterError("TRYAGAIN", `slot ${slot} is not led by this node; retry`);
    }
    this.#track(hosted.machine, hosted.host);
    return hosted;
  }

  #keyState(machine: KvMachine, key: Uint8Array): KvKeyState {
    const entry = machine.slot.entry(key);
    if (entry === undefined) return { value: null, ttlRemainingMs: null };
    if (entry.ttlMs === null) return { value: entry.value, ttlRemainingMs: null };
    const remainingMs = machine.tracker.remainingMs(key, machine.slot, this.#options.nowMs());
    return { value: entry.value, ttlRemainingMs: Math.max(1, remainingMs ?? entry.ttlMs) };
  }

  /**
   * A ReadIndex barrier on `host` that fails with TRYAGAIN as soon as this node stops leading
   * (a confirmation a deposed leader waits for would only come at the request timeout).
   */
  #readBarrier(host: RaftHost<unknown>): Promise<void> {
    const barrier = host.readBarrier();
    const clock = this.#options.clock ?? SYSTEM_CLOCK;
    let watch: ReturnType<HostClock["setTimer"]> | undefined;
    const deposed = new Promise<never>((_, reject) => {
      const look = () => {
        if (host.leading) {
          watch = clock.setTimer(look, this.#options.expiryCheckMs);
          return;
        }
        barrier.catch(() => {});
        reject(new ClusterError("TRYAGAIN", "leadership moved during the read; retry"));
      };
      watch = clock.setTimer(look, this.#options.expiryCheckMs);
    });
    return Promise.race([barrier, deposed]).finally(() => {
      if (watch !== undefined) clock.clearTimer(watch);
    });
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

function refusalLine(outcome: KvApplied["outcome"]): string {
  const answer = answerOfOutcome(outcome);
  return answer.kind === "error" ? answer.line : "ERR refused";
}
