import { assert } from "../util/assert.ts";
import { DeadlineHeap } from "../util/indexed_heap.ts";
import { keyIdOf } from "./key_id.ts";
import { CACHE_KEY_QUEUE_MAX, type CacheTiming } from "./limits.ts";
import type {
  CacheRefusal,
  CacheWrite,
  DirtyData,
  FenceAckMessage,
  FenceMessage,
  GrantedState,
  HomeToNodeMessage,
  InvalidateAckMessage,
  NodeToHomeMessage,
  RenewLine,
  RenewRequestMessage,
  WriteBackMessage,
} from "./types.ts";

/** A store access the host must perform for the home, answered with `storeDone(token, ...)`. */
export type StoreRequest =
  /** A linearizable read of the key (a ReadIndex barrier started after this was asked). */
  | { kind: "read"; token: number; key: Uint8Array }
  /** Commit the write in the slot's Raft group, then answer with the key as applied. */
  | { kind: "commit"; token: number; key: Uint8Array; write: CacheWrite }
  /**
   * Confirm, after this was asked, that the home's node still leads the slot (a ReadIndex-style
   * leadership barrier; nothing is read): answered ok, or notLeader. A slot renewal waits for it.
   */
  | { kind: "barrier"; token: number };

/** The answer to a StoreRequest. */
export type StoreResult =
  | {
    ok: true;
    /** The key after the read or the write (null: missing). */
    value: Uint8Array | null;
    ttlRemainingMs: number | null;
    /** For a commit: whether the write's NX/XX condition held; true for a read. */
    applied: boolean;
  }
  /**
   * `unknown`: a commit that may still apply (its proposal timed out or lost its leader);
   * `unavailable`: the store could not be reached and nothing was applied.
   */
  | { ok: false; reason: "notLeader" | "refused" | "unknown" | "unavailable" };

/** A message for one node. */
export interface HomeOutput {
  to: string;
  message: HomeToNodeMessage;
}

/** The directory's record of one node holding one key. */
export interface Holder {
  state: GrantedState;
  grantSeq: number;
  /** Home clock: past this the holder's lease has surely lapsed; it counts as invalidated. */
  lapseAtMs: number;
}

/** When a holder record of one key lapses (the tick's heap item); at most one per node and key. */
interface Lapse {
  id: string;
  node: string;
  deadlineMs: number;
  heapSlot: number;
}

type Job =
  | { kind: "read"; from: string; requestId: number }
  | { kind: "exclusive"; from: string; requestId: number; write: CacheWrite }
  | { kind: "writeBack"; from: string; message: WriteBackMessage }
  /** A stopping home takes the key's lines back (`recall`); `from` names no node. */
  | { kind: "recall"; from: "" };

interface Txn {
  job: Job;
  /** Nodes sent a Forward/Invalidate, with the `upToSeq` their ack must echo. */
  waiting: Map<string, number>;
  /** Dirty data collected from acks, committed before the job's own store access. */
  dirty: DirtyData | null;
  phase: "revoke" | "dirtyCommit" | "store";
  /** Token of the outstanding store request, or 0. */
  token: number;
}

interface KeyEntry {
  /** keyIdOf(key): the entry's map key. */
  id: string;
  key: Uint8Array;
  holders: Map<string, Holder>;
  /**
   * Per node, its record's lapse in the home's heap: set with each grant, kept when the record
   * goes earlier (the tick then finds nothing to do), removed with the entry.
   */
  lapses: Map<string, Lapse>;
  queue: Job[];
  txn: Txn | null;
}

/**
 * The directory of one slot at its leader (the home of its keys): who holds each line in which
 * state, and one transaction at a time per key (read → S/E, exclusive → invalidate the others,
 * commit, grant M). Pure: the host performs store accesses and sends messages from the outboxes.
 */
export class CacheHome {
  readonly #slot: number;
  readonly #epoch: number;
  readonly #timing: CacheTiming;
  /**
   * No E or M is granted before this (home clock): every lease of an older home has lapsed, or
   * (earlier) every node of the epoch fence acknowledged it.
   */
  #startupUntilMs: number;
  /** Nodes of the epoch fence that have not acknowledged it; null when no fence is running. */
  #fenceWaiting: Set<string> | null = null;
  /** The Fence this home sends (never changed once made); null before `fence`. */
  #fenceMessage: FenceMessage | null = null;
  /** Last grant number issued (all keys); invalidations name the highest they cover. */
  #grantSeq = 0;
  #entries = new Map<string, KeyEntry>();
  /** The lapses of every entry's holder records, earliest first, for the tick. */
  #lapses = new DeadlineHeap<Lapse>();
  /**
   * Entries the next tick must look at besides those with a lapsed holder: every entry a message
   * or a store answer touched since the last tick, and those with a job the startup rule holds.
   * An entry nothing touched and no lapse changed is left as the last tick left it, so the tick
   * walks these instead of the whole directory.
   */
  #recheck = new Set<string>();
  #tokens = new Map<number, string>();
  /** RenewRequests waiting for their leadership barrier, by the barrier's token. */
  #renewals = new Map<number, { from: string; message: RenewRequestMessage }>();
  #nextToken = 1;
  #outbox: HomeOutput[] = [];
  #storeOutbox: StoreRequest[] = [];
  #invalidationsSent = 0;
  /** Its node is stopping: grants carry no lease and every line is being taken back (`recall`). */
  #recalling = false;

  /** A home that starts leading `slot` in `epoch` (the leader's term) at `nowMs`. */
  constructor(slot: number, epoch: number, nowMs: number, timing: CacheTiming) {
    assert(Number.isSafeInteger(epoch) && epoch >= 1, "epoch is a safe integer >= 1");
    this.#slot = slot;
    this.#epoch = epoch;
    this.#timing = timing;
    this.#startupUntilMs = nowMs + timing.leaseMs + timing.holderMarginMs;
  }

  /** Messages to send since the last call. */
  takeMessages(): HomeOutput[] {
    const out = this.#outbox;
    this.#outbox = [];
    return out;
  }

  /** Store accesses to perform since the last call. */
  takeStoreRequests(): StoreRequest[] {
    const out = this.#storeOutbox;
    this.#storeOutbox = [];
    return out;
  }

  /** Invalidations and forwards sent so far (CACHE.STATS `invalidations_sent`). */
  get invalidationsSent(): number {
    return this.#invalidationsSent;
  }

  /**
   * Starts the epoch fence (docs/cache.md, "The epoch fence"): a Fence to every node of `nodes`,
   * which must contain every node that may hold a line an older home granted. When all of them
   * have acknowledged, the startup wait ends at once; until then (or if one never answers) the
   * lapse rule stands. Call once, right after construction.
   */
  fence(nodes: readonly string[], nowMs: number): void {
    assert(this.#fenceWaiting === null, "one fence per home");
    assert(nodes.length > 0, "a fence names at least the home's own node");
    if (nowMs >= this.#startupUntilMs) return;
    this.#fenceWaiting = new Set(nodes);
    const message = {
      type: "fence" as const,
      slot: this.#slot,
      epoch: this.#epoch,
      nodes: [...nodes],
    };
    this.#fenceMessage = message;
    for (const node of this.#fenceWaiting) this.#outbox.push({ to: node, message });
  }

  /**
   * The Fence again, for every node that has not acknowledged it yet (the host resends it now and
   * then: a node that was unreachable when the home was made may answer later); none once the
   * wait is over.
   */
  fencesDue(nowMs: number): HomeOutput[] {
    const message = this.#fenceMessage;
    if (this.#fenceWaiting === null || message === null || nowMs >= this.#startupUntilMs) return [];
    return [...this.#fenceWaiting].map((to) => ({ to, message }));
  }

  /** True once `recall` was called (its node is stopping). */
  get recalling(): boolean {
    return this.#recalling;
  }

  /** True until every older lease has lapsed or the fence was acknowledged by all its nodes. */
  starting(nowMs: number): boolean {
    return nowMs < this.#startupUntilMs;
  }

  /** Handles one message from node `from`. Messages of another epoch are ignored. */
  receive(from: string, message: NodeToHomeMessage, nowMs: number): void {
    if (message.type === "fenceAck") return this.#onFenceAck(from, message, nowMs);
    if (message.type === "renewRequest") return this.#onRenewRequest(from, message);
    const entry = this.#entry(message.key);
    switch (message.type) {
      case "readRequest":
        return this.#enqueue(entry, { kind: "read", from, requestId: message.requestId }, nowMs);
      case "exclusiveRequest": {
        const { requestId, write } = message;
        return this.#enqueue(entry, { kind: "exclusive", from, requestId, write }, nowMs);
      }
      case "writeBack":
        if (message.epoch !== this.#epoch) return this.#forget(entry);
        return this.#enqueue(entry, { kind: "writeBack", from, message }, nowMs);
      case "invalidateAck":
        if (message.epoch !== this.#epoch) return this.#forget(entry);
        return this.#onAck(entry, from, message, nowMs);
      case "evict": {
        // While a revocation of this node is open its ack ends the record: the notice may have
        // crossed that ack, which can carry the line's dirty data (write-back), and dropping the
        // record now would let the revocation go on without it.
        if (entry.txn?.phase === "revoke" && entry.txn.waiting.has(from)) return;
        const holder = entry.holders.get(from);
        if (message.epoch === this.#epoch && holder?.grantSeq === message.grantSeq) {
          entry.holders.delete(from);
        }
        return this.#forget(entry);
      }
    }
  }

  /** The answer to the store request `token`. */
  storeDone(token: number, result: StoreResult, nowMs: number): void {
    const renewal = this.#renewals.get(token);
    if (renewal !== undefined) {
      this.#renewals.delete(token);
      return this.#answerRenewal(renewal.from, renewal.message, result.ok, nowMs);
    }
    const id = this.#tokens.get(token);
    assert(id !== undefined, "storeDone for a token the home issued");
    this.#tokens.delete(token);
    const entry = this.#entries.get(id);
    assert(entry?.txn?.token === token, "storeDone for the key's running transaction");
    this.#recheck.add(id);
    const txn = entry.txn;
    txn.token = 0;
    if (!result.ok) return this.#fail(entry, txn, result.reason, nowMs);
    if (txn.phase === "dirtyCommit") return this.#mainPhase(entry, txn, nowMs);
    this.#finish(entry, txn, result, nowMs);
  }

  /**
   * Treats holders whose lease lapsed as invalidated and starts jobs the startup rule held. Costs
   * the lapsed holders and the entries touched since the last tick, not a walk of the directory.
   */
  tick(nowMs: number): void {
    if (nowMs >= this.#startupUntilMs) this.#fenceWaiting = null; // acks no longer matter
    // Bounded by the heap's entries: each pass pops one.
    for (let lapse = this.#lapses.peek(); lapse !== undefined && lapse.deadlineMs <= nowMs;) {
      this.#lapses.remove(lapse);
      this.#entries.get(lapse.id)?.lapses.delete(lapse.node);
      this.#recheck.add(lapse.id);
      lapse = this.#lapses.peek();
    }
    const ids = this.#recheck;
    this.#recheck = new Set();
    for (const id of ids) {
      const entry = this.#entries.get(id);
      if (entry !== undefined) this.#tickEntry(entry, nowMs);
    }
  }

  #tickEntry(entry: KeyEntry, nowMs: number): void {
    for (const [node, holder] of entry.holders) {
      if (nowMs >= holder.lapseAtMs) entry.holders.delete(node);
    }
    const txn = entry.txn;
    if (txn !== null && txn.phase === "revoke") {
      for (const node of txn.waiting.keys()) {
        if (!entry.holders.has(node)) txn.waiting.delete(node);
      }
      this.#afterRevoke(entry, txn, nowMs);
    } else if (txn === null) {
      this.#next(entry, nowMs);
    }
    this.#forget(entry);
    // A job still held back (the startup rule) is tried again at the next tick.
    if (this.#entries.get(entry.id) === entry && entry.txn === null && entry.queue.length > 0) {
      this.#recheck.add(entry.id);
    }
  }

  /**
   * Its node is stopping (docs/cache.md, "A graceful stop"): from now on a grant carries no lease
   * (its value answers the request; no line, no holder record, as while starting) and renewals are
   * refused, and every line granted so far is taken back the way a write takes it: an Invalidate
   * per holder, and the dirty data their acks carry committed (write-back). Call on every tick;
   * returns how many keys still have holders or jobs (0: the store has every acknowledged write
   * and no node holds a line of this home). Costs a walk of the directory per call.
   */
  recall(nowMs: number): number {
    this.#recalling = true;
    let busy = 0;
    for (const entry of this.#entries.values()) {
      const recallQueued = entry.txn?.job.kind === "recall" ||
        entry.queue.some((job) => job.kind === "recall");
      // A record left behind (an asker's, replaced by no grant) gets another recall.
      if (entry.holders.size > 0 && !recallQueued) {
        this.#enqueue(entry, { kind: "recall", from: "" }, nowMs);
      }
      if (entry.holders.size > 0 || entry.txn !== null || entry.queue.length > 0) busy++;
    }
    return busy;
  }

  /**
   * The home stops (its node no longer leads the slot in its epoch): an Invalidate to every
   * holder of every line it granted, so their copies stop answering now rather than when their
   * leases lapse. Best effort: a holder it misses keeps its line until the lease lapses, which
   * the next home waits out anyway. Acks go to the slot's next home, which ignores them (older
   * epoch), so dirty data of a write-back line is lost (docs/cache.md, "Moves").
   */
  release(): HomeOutput[] {
    const out: HomeOutput[] = [];
    const upToSeq = this.#grantSeq;
    for (const entry of this.#entries.values()) {
      for (const node of entry.holders.keys()) {
        const message = {
          type: "invalidate" as const,
          slot: this.#slot,
          epoch: this.#epoch,
          key: entry.key,
          upToSeq,
        };
        out.push({ to: node, message });
        this.#invalidationsSent++;
      }
    }
    this.#entries.clear();
    this.#lapses.clear();
    this.#recheck.clear();
    this.#renewals.clear(); // unanswered: their lines lapse at the node
    return out;
  }

  /**
   * A RenewRequest (docs/cache.md, "Slot renewals"): one leadership barrier, then the answer. One
   * of another epoch renews nothing and is answered at once (the node then learns this epoch).
   */
  #onRenewRequest(from: string, message: RenewRequestMessage): void {
    if (message.epoch !== this.#epoch) return this.#answerRenewal(from, message, false, 0);
    const token = this.#nextToken++;
    this.#renewals.set(token, { from, message });
    this.#storeOutbox.push({ kind: "barrier", token });
  }

  /**
   * Renews every line of the request that `from` still holds under the grant it names, not lapsed,
   * with no revocation of it open and no request of its own on the key; refuses the others (all of
   * them when the barrier failed). The record's new lapse is counted from now, after the barrier,
   * later than the node's count (from when it sent the request), as for a grant.
   */
  #answerRenewal(from: string, message: RenewRequestMessage, led: boolean, nowMs: number): void {
    const refused: number[] = [];
    const leaseMs = led ? this.#timing.leaseMs : 0;
    const lapseAtMs = nowMs + leaseMs + this.#timing.holderMarginMs;
    message.lines.forEach((line, index) => {
      const held = led ? this.#renewable(from, line, nowMs) : null;
      if (held === null) {
        refused.push(index);
        return;
      }
      const { entry, holder } = held;
      holder.lapseAtMs = Math.max(holder.lapseAtMs, lapseAtMs);
      this.#scheduleLapse(entry, from, holder.lapseAtMs);
    });
    this.#outbox.push({
      to: from,
      message: {
        type: "renewGrant",
        slot: this.#slot,
        epoch: this.#epoch,
        requestId: message.requestId,
        leaseMs,
        refused,
      },
    });
  }

  /** The entry and record of a line `from` may renew now, or null (see #answerRenewal). */
  #renewable(
    from: string,
    line: RenewLine,
    nowMs: number,
  ): { entry: KeyEntry; holder: Holder } | null {
    const entry = this.#entries.get(keyIdOf(line.key));
    const holder = entry?.holders.get(from);
    if (entry === undefined || holder === undefined) return null;
    if (holder.grantSeq !== line.grantSeq || nowMs >= holder.lapseAtMs) return null;
    if (this.#recalling) return null;
    const txn = entry.txn;
    // Any write under way (its revocations are open or done), a Forward to this node, or a
    // request of its own: the line is about to change, so it is not renewed.
    if (txn !== null && (txn.job.kind !== "read" || txn.job.from === from)) return null;
    if (txn !== null && txn.waiting.has(from)) return null;
    // Bounded by CACHE_KEY_QUEUE_MAX.
    if (entry.queue.some((job) => job.from === from)) return null;
    return { entry, holder };
  }

  /**
   * A FenceAck: late, duplicate, other-epoch and unasked ones change nothing. The last one ends
   * the startup wait and starts the writes it held back.
   */
  #onFenceAck(from: string, message: FenceAckMessage, nowMs: number): void {
    const waiting = this.#fenceWaiting;
    if (message.epoch !== this.#epoch || waiting === null) return;
    waiting.delete(from);
    if (waiting.size > 0) return;
    this.#fenceWaiting = null;
    this.#startupUntilMs = Math.min(this.#startupUntilMs, nowMs);
    for (const entry of [...this.#entries.values()]) {
      this.#next(entry, nowMs);
      this.#recheck.add(entry.id);
    }
  }

  /** The directory's holders of `key` (for tests and INFO). */
  holdersOf(key: Uint8Array): ReadonlyMap<string, Readonly<Holder>> {
    return this.#entries.get(keyIdOf(key))?.holders ?? new Map();
  }

  /** A canonical text of the whole protocol state, for model checking. */
  fingerprint(): string {
    const entries = [...this.#entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify([
      this.#epoch,
      this.#startupUntilMs,
      this.#fenceWaiting === null ? null : [...this.#fenceWaiting].sort(),
      this.#grantSeq,
      entries.map(([id, e]) => [
        id,
        [...e.holders].sort(),
        e.queue.map(jobText),
        e.txn === null ? null : [
          jobText(e.txn.job),
          [...e.txn.waiting].sort(),
          e.txn.dirty === null ? null : bytesText(e.txn.dirty.value),
          e.txn.phase,
          e.txn.token,
        ],
      ]),
      [...this.#renewals].map(([token, { from, message }]) => [
        token,
        from,
        message.epoch,
        message.requestId,
        message.lines.map((line) => [bytesText(line.key), line.grantSeq]),
      ]),
      this.#nextToken,
      this.#recalling,
    ]);
  }

  /** An independent copy (model checking). */
  clone(): CacheHome {
    const copy = new CacheHome(this.#slot, this.#epoch, 0, this.#timing);
    copy.#startupUntilMs = this.#startupUntilMs;
    copy.#fenceWaiting = this.#fenceWaiting === null ? null : new Set(this.#fenceWaiting);
    copy.#fenceMessage = this.#fenceMessage;
    copy.#grantSeq = this.#grantSeq;
    for (const [id, e] of this.#entries) copy.#entries.set(id, copyEntry(e));
    for (const entry of copy.#entries.values()) {
      for (const lapse of entry.lapses.values()) copy.#lapses.push(lapse);
    }
    copy.#recheck = new Set(this.#recheck);
    copy.#tokens = new Map(this.#tokens);
    copy.#renewals = new Map(this.#renewals); // requests are never changed once made
    copy.#nextToken = this.#nextToken;
    copy.#outbox = [...this.#outbox]; // messages and requests are never changed once made
    copy.#storeOutbox = [...this.#storeOutbox];
    copy.#invalidationsSent = this.#invalidationsSent;
    copy.#recalling = this.#recalling;
    return copy;
  }

  #entry(key: Uint8Array): KeyEntry {
    const id = keyIdOf(key);
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      entry = { id, key, holders: new Map(), lapses: new Map(), queue: [], txn: null };
      this.#entries.set(id, entry);
    }
    this.#recheck.add(id);
    return entry;
  }

  /** Drops an entry that holds nothing (bounded memory: entries exist only while in use). */
  #forget(entry: KeyEntry): void {
    if (entry.holders.size > 0 || entry.txn !== null || entry.queue.length > 0) return;
    // A recall can end inside `#next` (nothing left to revoke), whose caller forgets it too.
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    for (const lapse of entry.lapses.values()) this.#lapses.remove(lapse);
  }

  #enqueue(entry: KeyEntry, job: Job, nowMs: number): void {
    if (entry.queue.length >= CACHE_KEY_QUEUE_MAX) return this.#refuse(entry, job, "busy");
    entry.queue.push(job);
    if (entry.txn === null) this.#next(entry, nowMs);
  }

  /** Starts the next queued job unless the startup rule holds it back (then tick retries). */
  #next(entry: KeyEntry, nowMs: number): void {
    const job = entry.queue[0];
    if (job === undefined || entry.txn !== null) return;
    if (job.kind !== "read" && job.kind !== "recall" && nowMs < this.#startupUntilMs) return;
    entry.queue.shift();
    const txn: Txn = { job, waiting: new Map(), dirty: null, phase: "revoke", token: 0 };
    entry.txn = txn;
    if (job.kind === "writeBack") return this.#startWriteBack(entry, txn, job.message);
    // The asker's own record stays until its grant replaces it: a renewal asks while its line
    // is still live, so if this job fails the record must still make later writes revoke it.
    const upToSeq = this.#grantSeq;
    for (const [node, holder] of entry.holders) {
      if (node === job.from) continue;
      if (job.kind === "read" && holder.state === "S") continue; // (a recall takes every line)
      const type = job.kind === "read" ? "forward" as const : "invalidate" as const;
      const message = { type, slot: this.#slot, epoch: this.#epoch, key: entry.key, upToSeq };
      this.#outbox.push({ to: node, message });
      this.#invalidationsSent++;
      txn.waiting.set(node, upToSeq);
    }
    this.#afterRevoke(entry, txn, nowMs);
  }

  #startWriteBack(entry: KeyEntry, txn: Txn, message: WriteBackMessage): void {
    const holder = entry.holders.get(txn.job.from);
    // E counts too: a node writes on an E line without asking (it becomes M there).
    if (holder === undefined || holder.state === "S" || holder.grantSeq !== message.grantSeq) {
      this.#ackWriteBack(entry, message, txn.job.from, false, 0);
      entry.txn = null;
      return;
    }
    txn.phase = "store";
    this.#store(entry, txn, { ...message.dirty, condition: "always" });
  }

  #onAck(entry: KeyEntry, from: string, message: InvalidateAckMessage, nowMs: number): void {
    const holder = entry.holders.get(from);
    if (holder !== undefined && holder.grantSeq <= message.upToSeq) {
      if (message.keptShared) holder.state = "S";
      else entry.holders.delete(from);
    }
    const txn = entry.txn;
    if (txn === null || txn.phase !== "revoke" || txn.waiting.get(from) !== message.upToSeq) {
      return this.#forget(entry);
    }
    txn.waiting.delete(from);
    if (message.dirty !== null) txn.dirty = message.dirty;
    this.#afterRevoke(entry, txn, nowMs);
  }

  #afterRevoke(entry: KeyEntry, txn: Txn, nowMs: number): void {
    if (txn.phase !== "revoke" || txn.waiting.size > 0) return;
    if (txn.dirty !== null) {
      txn.phase = "dirtyCommit";
      return this.#store(entry, txn, { ...txn.dirty, condition: "always" });
    }
    this.#mainPhase(entry, txn, nowMs);
  }

  #mainPhase(entry: KeyEntry, txn: Txn, nowMs: number): void {
    txn.phase = "store";
    const job = txn.job;
    assert(job.kind !== "writeBack", "a write-back has no revoke phase");
    if (job.kind === "recall") {
      // Every line is back and its dirty data committed: nothing to grant.
      entry.txn = null;
      this.#next(entry, nowMs);
      return this.#forget(entry);
    }
    if (job.kind === "exclusive") return this.#store(entry, txn, job.write);
    const token = this.#issueToken(entry, txn);
    this.#storeOutbox.push({ kind: "read", token, key: entry.key });
  }

  #store(entry: KeyEntry, txn: Txn, write: CacheWrite): void {
    const token = this.#issueToken(entry, txn);
    this.#storeOutbox.push({ kind: "commit", token, key: entry.key, write });
  }

  #issueToken(entry: KeyEntry, txn: Txn): number {
    const token = this.#nextToken++;
    txn.token = token;
    this.#tokens.set(token, entry.id);
    return token;
  }

  #finish(entry: KeyEntry, txn: Txn, result: StoreResult & { ok: true }, nowMs: number): void {
    const job = txn.job;
    entry.txn = null;
    if (job.kind === "writeBack") {
      this.#writeBackDone(entry, job.from, job.message, nowMs);
    } else {
      assert(job.kind !== "recall", "a recall ends in its revoke phase");
      // Until every lease of an older home has lapsed, a read gets the value without a line
      // (lease 0): an old M or E may still be live somewhere, and S beside it is not allowed.
      const starting = nowMs < this.#startupUntilMs || this.#recalling;
      const sole = entry.holders.size === 0 ||
        (entry.holders.size === 1 && entry.holders.has(job.from));
      const state: GrantedState = job.kind === "exclusive" ? "M" : sole && !starting ? "E" : "S";
      const grantSeq = ++this.#grantSeq;
      const leaseMs = starting ? 0 : this.#timing.leaseMs;
      const lapseAtMs = nowMs + leaseMs + this.#timing.holderMarginMs;
      if (!starting) {
        entry.holders.set(job.from, { state, grantSeq, lapseAtMs });
        this.#scheduleLapse(entry, job.from, lapseAtMs);
      }
      this.#outbox.push({
        to: job.from,
        message: {
          type: "grant",
          slot: this.#slot,
          epoch: this.#epoch,
          requestId: job.requestId,
          key: entry.key,
          state,
          grantSeq,
          value: result.value,
          ttlRemainingMs: result.ttlRemainingMs,
          leaseMs,
          applied: result.applied,
        },
      });
    }
    this.#next(entry, nowMs);
    this.#forget(entry);
  }

  #scheduleLapse(entry: KeyEntry, node: string, lapseAtMs: number): void {
    const old = entry.lapses.get(node);
    if (old !== undefined) this.#lapses.remove(old);
    const lapse: Lapse = { id: entry.id, node, deadlineMs: lapseAtMs, heapSlot: -1 };
    entry.lapses.set(node, lapse);
    this.#lapses.push(lapse);
  }

  #fail(entry: KeyEntry, txn: Txn, reason: CacheRefusal, nowMs: number): void {
    entry.txn = null;
    this.#refuse(entry, txn.job, reason);
    this.#next(entry, nowMs);
    this.#forget(entry);
  }

  #refuse(entry: KeyEntry, job: Job, reason: CacheRefusal): void {
    if (job.kind === "recall") return; // the next call of `recall` tries again
    if (job.kind === "writeBack") {
      return this.#ackWriteBack(entry, job.message, job.from, false, 0);
    }
    this.#outbox.push({
      to: job.from,
      message: {
        type: "refuse",
        slot: this.#slot,
        epoch: this.#epoch,
        requestId: job.requestId,
        key: entry.key,
        reason,
      },
    });
  }

  /**
   * A committed write-back: a final one ends the holder's record; any other renews its lease, as a
   * grant does (the job ran in the key's turn with the holder still in M under this grant, so no
   * revocation of it is open). The node counts the renewal from when it sent the write-back,
   * before this ack, so its lease still ends first.
   */
  #writeBackDone(entry: KeyEntry, from: string, m: WriteBackMessage, nowMs: number): void {
    const holder = entry.holders.get(from);
    const held = holder !== undefined && holder.grantSeq === m.grantSeq;
    if (m.final && held) entry.holders.delete(from);
    // A holder that lapsed (or changed) while the commit ran gets no new lease.
    if (m.final || !held || holder.state === "S" || nowMs >= holder.lapseAtMs) {
      return this.#ackWriteBack(entry, m, from, true, 0);
    }
    const leaseMs = this.#timing.leaseMs;
    holder.state = "M";
    holder.lapseAtMs = Math.max(holder.lapseAtMs, nowMs + leaseMs + this.#timing.holderMarginMs);
    this.#ackWriteBack(entry, m, from, true, leaseMs);
  }

  #ackWriteBack(
    entry: KeyEntry,
    m: WriteBackMessage,
    to: string,
    accepted: boolean,
    leaseMs: number,
  ): void {
    this.#outbox.push({
      to,
      message: {
        type: "writeBackAck",
        slot: this.#slot,
        epoch: this.#epoch,
        key: entry.key,
        grantSeq: m.grantSeq,
        writeVersion: m.writeVersion,
        accepted,
        leaseMs,
      },
    });
  }
}

function jobText(job: Job): string {
  switch (job.kind) {
    case "writeBack":
      return `wb:${job.from}:${job.message.grantSeq}:${job.message.writeVersion}`;
    case "read":
      return `r:${job.from}:${job.requestId}`;
    case "exclusive":
      return `x:${job.from}:${job.requestId}:${bytesText(job.write.value)}:${job.write.ttlMs}`;
    case "recall":
      return "recall";
  }
}

function bytesText(value: Uint8Array | null): string {
  return value === null ? "-" : value.join(",");
}

/** A copy of an entry sharing only what is never changed in place (keys, jobs, messages). */
function copyEntry(e: KeyEntry): KeyEntry {
  const holders = new Map<string, Holder>();
  for (const [node, holder] of e.holders) holders.set(node, { ...holder });
  const txn = e.txn === null ? null : { ...e.txn, waiting: new Map(e.txn.waiting) };
  const lapses = new Map<string, Lapse>();
  for (const [node, lapse] of e.lapses) lapses.set(node, { ...lapse, heapSlot: -1 });
  return { id: e.id, key: e.key, holders, lapses, queue: [...e.queue], txn };
}
