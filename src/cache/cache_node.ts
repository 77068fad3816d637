import { assert } from "../util/assert.ts";
import { bytesEqual, keyIdOf } from "./key_id.ts";
import {
  CACHE_NODE_PENDING_MAX,
  CACHE_RENEW_KEY_BYTES_MAX,
  CACHE_RENEW_LINES_MAX,
  type CacheTiming,
} from "./limits.ts";
import { type CacheLine, lineDeadlineMs, LineStore } from "./line_store.ts";
import { applyLocalWrite } from "./local_write.ts";
import type {
  CacheRefusal,
  CacheWrite,
  CacheWriteMode,
  DirtyData,
  ForwardMessage,
  GrantMessage,
  HomeToNodeMessage,
  InvalidateMessage,
  MesiState,
  NodeToHomeMessage,
  RefuseMessage,
  RenewGrantMessage,
  RenewLine,
  WriteBackAckMessage,
} from "./types.ts";

/** Configuration of one node's cache. */
export interface CacheNodeOptions {
  writeMode: CacheWriteMode;
  timing: CacheTiming;
  /** `--cache-max-bytes`: key + value + CACHE_LINE_OVERHEAD_BYTES per line, summed. */
  maxBytes: number;
  /** `--cache-max-entries`. */
  maxEntries: number;
  /**
   * The first request id (default 1); ids count up from it, wrapping to 0 after 2^53 - 1. A home
   * answers the node id, so an answer to a request of the process before a restart can reach the
   * restarted one: the host starts each process at a random point (as Raft read ids,
   * `src/consensus/read_ids.ts`), or that answer completes a new request with the same id and key.
   */
  requestIdStart?: number;
}

/** What a read does: answer from the line, or wait for the request the host must send. */
export type ReadDecision =
  /** `expiryEndMs`: when the line stops answering for its TTL (node clock), or null. */
  | { kind: "hit"; value: Uint8Array | null; expiryEndMs: number | null }
  /** The request is in the outbox; its answer comes back as a Completion with this id. */
  | { kind: "request"; requestId: number }
  /** A request or a write-back for this key is outstanding: retry after it completes. */
  | { kind: "wait" }
  /** Too many outstanding requests (CACHE_NODE_PENDING_MAX): answer `-TRYAGAIN`. */
  | { kind: "full" };

/** What a write does: acknowledged locally (write-back on an owned line), or a request. */
export type WriteDecision =
  | { kind: "done"; applied: boolean }
  | { kind: "request"; requestId: number }
  | { kind: "wait" }
  | { kind: "full" };

/** The answer to a request the node sent: the host answers the waiting client with it. */
export type Completion =
  /** `ttlRemainingMs`: the TTL the home saw when it read the store (null: none). */
  | { requestId: number; kind: "read"; value: Uint8Array | null; ttlRemainingMs: number | null }
  /** The write was committed by the home (`applied`: its NX/XX condition held). */
  | { requestId: number; kind: "write"; applied: boolean }
  | { requestId: number; kind: "refused"; reason: CacheRefusal };

/** Counters for CACHE.STATS (node side). */
export interface CacheNodeStats {
  hits: number;
  misses: number;
  evictions: number;
  invalidationsReceived: number;
  /** Writes acknowledged locally (write-back; also counted in `hits`). */
  localWrites: number;
  /** WriteBacks sent, resends and final ones included. */
  writeBacksSent: number;
}

interface PendingRequest {
  requestId: number;
  key: Uint8Array;
  slot: number;
  kind: "read" | "write";
  /** When the request was sent (node clock): the lease and TTL are counted from here. */
  sentAtMs: number;
  /** The highest grant number of this key revoked while the request was out, per epoch. */
  revoked: { epoch: number; upToSeq: number } | null;
}

/** A RenewRequest out: the lines it named (each marked with its id while it is out). */
interface PendingRenewal {
  slot: number;
  /** When it was sent (node clock): a renewed lease is counted from here. */
  sentAtMs: number;
  lines: RenewLine[];
}

/**
 * A line gone from the store (evicted or lapsed) whose final WriteBack awaits its ack: what it
 * carried, and the grant it was under, so a Forward or Invalidate that crosses it gets the same
 * data in its ack (the home may be revoking this holder before it reaches the WriteBack).
 */
interface Flushing {
  slot: number;
  sentAtMs: number;
  epoch: number;
  grantSeq: number;
  data: DirtyData;
}

/**
 * One node's side of the MESI protocol: its lines, the decision to answer locally, and the
 * handling of the home's messages. Pure: time comes in as `nowMs` (a monotonic clock), and
 * messages for homes go to an outbox the host drains with `takeMessages()`.
 */
export class CacheNode {
  readonly #options: CacheNodeOptions;
  #lines: LineStore;
  #pending = new Map<number, PendingRequest>();
  #pendingByKey = new Map<string, number>();
  #flushing = new Map<string, Flushing>();
  /**
   * Ids of lines made dirty by a local write (write-back), for the tick's write-back sweep; an id
   * whose line is gone or clean again is dropped by the next tick (so at most the lines written
   * since the last tick besides the dirty ones).
   */
  #dirtyIds = new Set<string>();
  /**
   * When the dirty lines' unsent writes all go to their homes together (node clock), or null:
   * set by the first unsent write to that write's time + writeBackMs, so every dirty line is sent
   * in the same tick (each home commits a slot's lines in one entry, and every slot's entries in
   * one turn) and no write waits longer than writeBackMs.
   */
  #flushAtMs: number | null = null;
  /**
   * No WriteBack in flight may be resent before this (node clock), or null: none in flight. Never
   * later than the earliest resend due (earlier only costs a sweep that sends nothing), so with
   * `#flushAtMs` it says when the dirty lines need a sweep at all: a line written steadily stays
   * dirty, and sweeping every tick cost a lookup per dirty line four times per flush.
   */
  #retryAtMs: number | null = null;
  #epochs = new Map<number, number>();
  /** RenewRequests out, by request id; dropped unanswered after a lease (bounded by the lines). */
  #renewals = new Map<number, PendingRenewal>();
  /** No renewal walk before this (node clock): at most one per leaseMs / 8. */
  #renewWalkAtMs = 0;
  #nextRequestId = 1;
  #outbox: NodeToHomeMessage[] = [];
  #stats: CacheNodeStats = {
    hits: 0,
    misses: 0,
    evictions: 0,
    invalidationsReceived: 0,
    localWrites: 0,
    writeBacksSent: 0,
  };

  /** Creates an empty cache. */
  constructor(options: CacheNodeOptions) {
    const start = options.requestIdStart ?? 1;
    assert(Number.isSafeInteger(start) && start >= 0, "requestIdStart is a safe integer >= 0");
    this.#options = options;
    this.#lines = new LineStore(options.maxBytes, options.maxEntries);
    this.#nextRequestId = start;
  }

  /** Whether messages wait in the outbox (a cheap test before `takeMessages`). */
  get hasMessages(): boolean {
    return this.#outbox.length > 0;
  }

  /** Messages to send since the last call, each to the home of its `slot`. */
  takeMessages(): NodeToHomeMessage[] {
    const messages = this.#outbox;
    this.#outbox = [];
    return messages;
  }

  /** Reads `key` of `slot`: a hit only on an M/E/S line with a live lease, before expiry. */
  read(key: Uint8Array, slot: number, nowMs: number): ReadDecision {
    const id = keyIdOf(key);
    const line = this.#validLine(id, nowMs);
    if (line !== undefined) {
      this.#stats.hits++;
      line.ownsValue = false; // the caller may keep the value past later writes
      return { kind: "hit", value: line.value, expiryEndMs: line.expiryEndMs };
    }
    this.#stats.misses++;
    const blocked = this.#blocked(id);
    if (blocked !== null) return blocked;
    const requestId = this.#startRequest(key, id, slot, "read", nowMs);
    this.#outbox.push({ type: "readRequest", slot, requestId, key });
    return { kind: "request", requestId };
  }

  /**
   * A read answered from a live line (counted as a hit), or null: then `read` (a miss). `renew`:
   * `renewDue` says a renewal walk (`renewLines`) is due.
   */
  hit(key: Uint8Array, nowMs: number): ReadDecision & { kind: "hit"; renew: boolean } | null {
    const line = this.#hitLine(key, nowMs);
    if (line === null) return null;
    const renew = this.renewDue(line, nowMs);
    // The caller may keep the value across a wait (MGET with a miss beside it): a later write of
    // the same pipeline must not show through it, so the next write allocates.
    line.ownsValue = false;
    return { kind: "hit", value: line.value, expiryEndMs: line.expiryEndMs, renew };
  }

  /**
   * The hit path without allocation: the live line of `key` (counted as a hit, made most recent)
   * or null (then `read`, a miss). Found by the key's bytes, one lookup, no string id built. The
   * caller must use the line's value before anything else runs (a later local write of the same
   * length may write into its buffer, `ownsValue`); `hit` and `read` hand out values to keep.
   */
  hitLine(key: Uint8Array, nowMs: number): Readonly<CacheLine> | null {
    return this.#hitLine(key, nowMs);
  }

  #hitLine(key: Uint8Array, nowMs: number): CacheLine | null {
    const line = this.#lines.peekKey(key);
    if (line === undefined || !this.#isLive(line, nowMs)) return null;
    this.#lines.touchFound();
    line.usedAtMs = nowMs;
    this.#stats.hits++;
    return line;
  }

  /**
   * True when the line `hitLine` returned is at least a quarter into its lease with no renewal
   * out, and a renewal walk is allowed now (write-through): then call `renewLines`. A few
   * comparisons, no allocation.
   */
  renewDue(line: Readonly<CacheLine>, nowMs: number): boolean {
    return nowMs >= this.#renewWalkAtMs && this.#options.writeMode === "through" &&
      this.#awaitsRenewal(line, nowMs);
  }

  /**
   * One renewal walk (docs/cache.md, "Slot renewals"), at most one per leaseMs / 8 (else nothing):
   * from the most recently used line back to the first not used in the last half lease, every
   * live clean line at least a quarter into its lease, of the slot's current epoch, with no
   * renewal, request or flush out on it, goes into its slot's RenewRequest (split at
   * CACHE_RENEW_LINES_MAX lines or CACHE_RENEW_KEY_BYTES_MAX key bytes). Write-through only.
   * Returns the RenewRequests put in the outbox.
   */
  renewLines(nowMs: number): number {
    if (this.#options.writeMode !== "through" || nowMs < this.#renewWalkAtMs) return 0;
    const leaseMs = this.#options.timing.leaseMs;
    this.#renewWalkAtMs = nowMs + leaseMs / 8;
    const usedSinceMs = nowMs - leaseMs / 2;
    const dueBySlot = new Map<number, CacheLine[]>();
    this.#lines.newestWhile((id, line) => {
      if (line.usedAtMs < usedSinceMs) return false;
      if (
        this.#awaitsRenewal(line, nowMs) && line.dirty === null && this.#isLive(line, nowMs) &&
        line.epoch === this.#epochs.get(line.slot) && !this.#pendingByKey.has(id) &&
        !this.#flushing.has(id)
      ) {
        const due = dueBySlot.get(line.slot);
        if (due === undefined) dueBySlot.set(line.slot, [line]);
        else due.push(line);
      }
      return true;
    });
    let sent = 0;
    for (const [slot, due] of dueBySlot) {
      let batch: CacheLine[] = [];
      let keyBytes = 0;
      for (const line of due) {
        const full = batch.length === CACHE_RENEW_LINES_MAX ||
          keyBytes + line.key.length > CACHE_RENEW_KEY_BYTES_MAX;
        if (full) {
          this.#sendRenewal(slot, batch, nowMs);
          sent++;
          batch = [];
          keyBytes = 0;
        }
        batch.push(line);
        keyBytes += line.key.length;
      }
      if (batch.length > 0) {
        this.#sendRenewal(slot, batch, nowMs);
        sent++;
      }
    }
    return sent;
  }

  /** No renewal out on the line, and at least a quarter of its lease gone. */
  #awaitsRenewal(line: Readonly<CacheLine>, nowMs: number): boolean {
    return line.renewingId === null &&
      nowMs >= line.leaseEndMs - this.#options.timing.leaseMs * 3 / 4;
  }

  /** Lines held, live or not yet swept (bounded by `maxEntries`). */
  get lineCount(): number {
    return this.#lines.size;
  }

  /**
   * Lines holding local writes their home has not acknowledged yet, final WriteBacks included:
   * what a crash of this node would lose now (write-back). Walks the dirty set (bounded by the
   * lines), not every line.
   */
  dirtyLineCount(): number {
    let count = this.#flushing.size;
    for (const id of this.#dirtyIds) {
      const line = this.#lines.peek(id);
      if (line !== undefined && line.dirty !== null) count++;
    }
    return count;
  }

  /**
   * The node is stopping (it takes no more client commands): hands every line back the way an
   * eviction does, a clean one with an eviction notice (its home stops counting on it at once,
   * not after its lease) and a dirty one with a final WriteBack the node keeps until its ack. A
   * line whose WriteBack is in flight goes once that is acknowledged. Call on every tick until
   * it returns 0: the lines and final WriteBacks still waiting for a home.
   */
  release(nowMs: number): number {
    for (const [id, line] of this.#lines.all()) {
      if (line.dirty !== null && line.dirty.inFlight !== null) continue;
      if (!this.#isLive(line, nowMs)) {
        this.#dropLapsed(id, line, nowMs);
        continue;
      }
      this.#lines.remove(id);
      this.#handBack(line, nowMs, id);
    }
    return this.#lines.size + this.#flushing.size;
  }

  /**
   * Writes `key`: with write-back on a line held in M or E under a live lease, applied and
   * acknowledged locally (E becomes M); otherwise an exclusive request carrying the write.
   */
  write(key: Uint8Array, slot: number, write: CacheWrite, nowMs: number): WriteDecision {
    const local = this.writeHit(key, write, nowMs);
    if (local !== null) return { kind: "done", applied: local };
    const id = keyIdOf(key);
    const blocked = this.#blocked(id);
    if (blocked !== null) return blocked;
    const requestId = this.#startRequest(key, id, slot, "write", nowMs);
    this.#outbox.push({ type: "exclusiveRequest", slot, requestId, key, write });
    return { kind: "request", requestId };
  }

  /**
   * A write applied and acknowledged locally (write-back, a line held in M or E under a live
   * lease): whether its NX/XX condition held; null when it must go to the home (nothing done).
   * Found by the key's bytes, like a hit; `write.value` is copied (it may be a view of input).
   */
  writeHit(key: Uint8Array, write: CacheWrite, nowMs: number): boolean | null {
    if (this.#options.writeMode !== "back") return null;
    const line = this.#lines.peekKey(key);
    if (line === undefined || line.state === "S" || !this.#isLive(line, nowMs)) return null;
    // A value the store cannot hold at all goes to the home (which installs no line for it).
    if (!this.#lines.fits(key, write.value)) return null;
    this.#lines.touchFound();
    line.usedAtMs = nowMs;
    this.#stats.hits++;
    const wasDirty = line.dirty !== null;
    const deadlineBeforeMs = lineDeadlineMs(line);
    const { applied, evicted } = applyLocalWrite(
      this.#lines,
      line,
      write,
      nowMs,
      this.#options.timing,
    );
    if (!applied) return false;
    this.#stats.localWrites++;
    for (const old of evicted) this.#evicted(old, nowMs);
    this.#flushAtMs ??= nowMs + this.#options.timing.writeBackMs;
    // The tick's two sweeps: only a line that just became dirty joins the dirty set (a dirty one
    // is in it: the tick removes an id only once its line is clean or gone), and only an expiry
    // moved earlier needs the heap (`takeDue` moves a deadline that went later by itself). So a
    // repeated plain SET builds no string id and touches no heap.
    if (!wasDirty || lineDeadlineMs(line) < deadlineBeforeMs) {
      const id = keyIdOf(key);
      if (lineDeadlineMs(line) < deadlineBeforeMs) this.#lines.reschedule(id);
      this.#dirtyIds.add(id);
    }
    return true;
  }

  /**
   * Handles one message from a home; returns the requests it completes. A message of an epoch
   * older than the slot's newest known one installs no line and revokes nothing, but its grant
   * or refusal still answers the request it names (the old home read or committed it while it
   * led, within the request's lifetime): a home that stopped leading never leaves a request
   * waiting for its deadline. A Fence is acknowledged only if its epoch is not older.
   */
  receive(message: HomeToNodeMessage, nowMs: number): Completion[] {
    if (!this.#acceptEpoch(message.slot, message.epoch, nowMs)) return this.#stale(message);
    switch (message.type) {
      case "grant":
        return this.#onGrant(message, nowMs);
      case "refuse":
        return this.#stale(message);
      case "forward":
      case "invalidate":
        this.#onRevoke(message);
        return [];
      case "writeBackAck":
        this.#onWriteBackAck(message, nowMs);
        return [];
      case "renewGrant":
        this.#onRenewGrant(message, nowMs);
        return [];
      case "fence": {
        // The epoch is accepted above: every older line of the slot is gone, and an older
        // home's grant arriving later installs nothing (epochs only grow).
        const { slot, epoch } = message;
        this.#outbox.push({ type: "fenceAck", slot, epoch });
        return [];
      }
    }
  }

  /**
   * Drops lines whose lease or expiry ran out, sends write-backs that are due and gives up on
   * write-backs never acknowledged. Call it on a timer (a fraction of the lease). Costs the lines
   * due, the dirty lines and the write-backs in flight, not a walk of every line.
   */
  tick(nowMs: number): void {
    // O(due lines + dirty lines): the line store keeps its lines in a heap by deadline.
    for (const [id, line] of this.#lines.takeDue(nowMs)) this.#dropLapsed(id, line, nowMs);
    // Between flushes and resends a sweep would send nothing: a dirty line with unsent writes and
    // none in flight has them due no earlier than the flush time (the first write set it, a
    // flush sends them all, an ack sets it for writes that waited for the line's WriteBack).
    const flushDue = this.#flushAtMs !== null && nowMs >= this.#flushAtMs;
    if (flushDue || (this.#retryAtMs !== null && nowMs >= this.#retryAtMs)) {
      this.#retryAtMs = null;
      for (const id of this.#dirtyIds) {
        const line = this.#lines.peek(id);
        if (line === undefined || line.dirty === null) this.#dirtyIds.delete(id);
        else if (!this.#isLive(line, nowMs)) this.#dropLapsed(id, line, nowMs);
        else this.#maybeWriteBack(line, nowMs);
      }
    }
    if (flushDue) this.#flushAtMs = null;
    const timing = this.#options.timing;
    for (const [id, flushing] of this.#flushing) {
      if (nowMs >= flushing.sentAtMs + timing.leaseMs + timing.holderMarginMs) {
        this.#flushing.delete(id);
      }
    }
    // A renewal unanswered for a lease could renew nothing its lines still need: they lapsed.
    for (const [requestId, renewal] of this.#renewals) {
      if (nowMs >= renewal.sentAtMs + timing.leaseMs) this.#endRenewal(requestId);
    }
  }

  /**
   * Slot `slot`'s Raft group here reached term `epoch` (a new leader was elected, or is being):
   * lines granted by homes of older terms may no longer answer (as if a message of that epoch
   * had come). Safe to call with a term no home ever leads in: only the slot's lines are lost.
   */
  observeEpoch(slot: number, epoch: number, nowMs: number): void {
    this.#acceptEpoch(slot, epoch, nowMs);
  }

  /**
   * Forgets an outstanding request or renewal (the host's timeout, or no home to send it to); a
   * late answer is then ignored.
   */
  abandon(requestId: number): void {
    if (this.#renewals.has(requestId)) return this.#endRenewal(requestId);
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return;
    this.#pending.delete(requestId);
    this.#pendingByKey.delete(keyIdOf(pending.key));
  }

  /** The line's state as CACHE.STATE reports it (I when absent or no longer live). */
  stateOf(key: Uint8Array, nowMs: number): MesiState {
    return this.#validLine(keyIdOf(key), nowMs)?.state ?? "I";
  }

  /** Every line that may answer at `nowMs` (for checkers and INFO): key id → line. */
  liveLines(nowMs: number): CacheLine[] {
    return this.#lines.all().map(([, line]) => line).filter((line) => this.#isLive(line, nowMs));
  }

  /** The counters alone (no walk of the lines: metrics read them on every scrape). */
  get counters(): Readonly<CacheNodeStats> {
    return this.#stats;
  }

  /** Bytes of every line held (key + value + overhead), as the LRU bounds them. */
  get bytes(): number {
    return this.#lines.bytes;
  }

  /** Counters and sizes for CACHE.STATS; walks the lines to count the live ones per state. */
  stats(nowMs: number): CacheNodeStats & { lines: Record<MesiState, number>; bytes: number } {
    const lines: Record<MesiState, number> = { M: 0, E: 0, S: 0, I: 0 };
    for (const line of this.liveLines(nowMs)) lines[line.state]++;
    return { ...this.#stats, lines, bytes: this.#lines.bytes };
  }

  /** A canonical text of the whole protocol state (not the counters), for model checking. */
  fingerprint(): string {
    return JSON.stringify([
      this.#lines.all().map(([id, l]) => [
        id,
        l.state,
        l.value === null ? null : [...l.value],
        l.leaseEndMs,
        l.expiryEndMs,
        l.epoch,
        l.grantSeq,
        l.writeCount,
        l.dirty === null ? null : [l.dirty.version, l.dirty.unsentSinceMs, l.dirty.inFlight],
        l.usedAtMs,
        l.renewingId,
      ]),
      [...this.#renewals].map((
        [id, r],
      ) => [id, r.slot, r.sentAtMs, r.lines.map((l) => l.grantSeq)]),
      this.#renewWalkAtMs,
      [...this.#pending.values()].map((p) => [p.requestId, p.kind, p.sentAtMs, p.revoked]),
      [...this.#flushing].sort(),
      this.#flushAtMs,
      [...this.#epochs].sort(),
      this.#nextRequestId,
    ]);
  }

  /** An independent copy (model checking explores both branches of a choice). */
  clone(): CacheNode {
    const copy = new CacheNode(this.#options);
    copy.#lines = this.#lines.clone();
    for (const [id, p] of this.#pending) copy.#pending.set(id, { ...p });
    copy.#pendingByKey = new Map(this.#pendingByKey);
    for (const [id, f] of this.#flushing) copy.#flushing.set(id, { ...f });
    copy.#dirtyIds = new Set(this.#dirtyIds);
    copy.#flushAtMs = this.#flushAtMs;
    copy.#retryAtMs = this.#retryAtMs;
    copy.#epochs = new Map(this.#epochs);
    copy.#renewals = new Map(this.#renewals); // never changed in place once made
    copy.#renewWalkAtMs = this.#renewWalkAtMs;
    copy.#nextRequestId = this.#nextRequestId;
    copy.#outbox = [...this.#outbox]; // messages are never changed once made
    copy.#stats = { ...this.#stats };
    return copy;
  }

  #takeRequestId(): number {
    const requestId = this.#nextRequestId;
    this.#nextRequestId = requestId === Number.MAX_SAFE_INTEGER ? 0 : requestId + 1;
    return requestId;
  }

  #isLive(line: Readonly<CacheLine>, nowMs: number): boolean {
    return nowMs < line.leaseEndMs && (line.expiryEndMs === null || nowMs < line.expiryEndMs);
  }

  #validLine(id: string, nowMs: number): CacheLine | undefined {
    const line = this.#lines.peek(id);
    if (line === undefined || !this.#isLive(line, nowMs)) return undefined;
    line.usedAtMs = nowMs;
    return this.#lines.touch(id);
  }

  #blocked(id: string): ReadDecision & WriteDecision | null {
    if (this.#pendingByKey.has(id) || this.#flushing.has(id)) return { kind: "wait" };
    if (this.#pending.size >= CACHE_NODE_PENDING_MAX) return { kind: "full" };
    return null;
  }

  #startRequest(
    key: Uint8Array,
    id: string,
    slot: number,
    kind: "read" | "write",
    nowMs: number,
  ): number {
    const stale = this.#lines.peek(id);
    if (stale !== undefined) this.#dropLapsed(id, stale, nowMs);
    const requestId = this.#takeRequestId();
    this.#pending.set(requestId, { requestId, key, slot, kind, sentAtMs: nowMs, revoked: null });
    this.#pendingByKey.set(id, requestId);
    return requestId;
  }

  #takePending(requestId: number, key: Uint8Array): PendingRequest | undefined {
    const pending = this.#pending.get(requestId);
    if (pending === undefined || !bytesEqual(pending.key, key)) return undefined;
    this.abandon(requestId);
    return pending;
  }

  /** False for a message of an older epoch; a newer epoch drops the slot's older lines. */
  #acceptEpoch(slot: number, epoch: number, nowMs: number): boolean {
    const known = this.#epochs.get(slot) ?? 0;
    if (epoch < known) return false;
    if (epoch > known) {
      this.#epochs.set(slot, epoch);
      for (const [id, line] of this.#lines.all()) {
        if (line.slot === slot && line.epoch < epoch) this.#dropLapsed(id, line, nowMs);
      }
    }
    return true;
  }

  /** A message of an older epoch: its grant or refusal completes the request, nothing else. */
  #stale(message: HomeToNodeMessage): Completion[] {
    if (message.type === "renewGrant") {
      if (this.#renewals.get(message.requestId)?.slot === message.slot) {
        this.#endRenewal(message.requestId);
      }
      return [];
    }
    if (message.type !== "grant" && message.type !== "refuse") return [];
    const pending = this.#takePending(message.requestId, message.key);
    if (pending === undefined) return [];
    return [this.#completionOf(pending, message)];
  }

  #completionOf(pending: PendingRequest, message: GrantMessage | RefuseMessage): Completion {
    const requestId = pending.requestId;
    if (message.type === "refuse") return { requestId, kind: "refused", reason: message.reason };
    if (pending.kind === "write") return { requestId, kind: "write", applied: message.applied };
    const { value, ttlRemainingMs } = message;
    return { requestId, kind: "read", value, ttlRemainingMs };
  }

  #onGrant(message: GrantMessage, nowMs: number): Completion[] {
    const pending = this.#takePending(message.requestId, message.key);
    if (pending === undefined) return [];
    const completion = this.#completionOf(pending, message);
    const revoked = pending.revoked;
    if (
      revoked !== null && revoked.epoch === message.epoch && revoked.upToSeq >= message.grantSeq
    ) {
      return [completion];
    }
    const leaseEndMs = pending.sentAtMs + message.leaseMs;
    const expiryEndMs = message.ttlRemainingMs === null
      ? null
      : pending.sentAtMs + message.ttlRemainingMs - this.#options.timing.expiryMarginMs;
    const line: CacheLine = {
      key: message.key,
      slot: message.slot,
      state: message.state,
      value: message.value,
      leaseEndMs,
      expiryEndMs,
      epoch: message.epoch,
      grantSeq: message.grantSeq,
      writeCount: 0,
      dirty: null,
      usedAtMs: nowMs,
      renewingId: null,
      ownsValue: false, // shared with the read it answers, and with a local home's store
    };
    if (!this.#isLive(line, nowMs)) return [completion];
    const evicted = this.#lines.insert(keyIdOf(message.key), line);
    for (const old of evicted ?? []) this.#evicted(old, nowMs);
    return [completion];
  }

  #onRevoke(message: ForwardMessage | InvalidateMessage): void {
    this.#stats.invalidationsReceived++;
    const id = keyIdOf(message.key);
    const line = this.#lines.peek(id);
    let keptShared = false;
    let dirty = null;
    if (line !== undefined && revokes(message, line)) {
      dirty = line.dirty?.data ?? null;
      line.ownsValue = false; // the ack carries the buffer
      if (message.type === "forward") {
        line.state = "S";
        line.dirty = null;
        keptShared = true;
      } else {
        this.#lines.remove(id);
      }
    } else {
      // The line left with a final WriteBack the home has not run yet (its job waits behind this
      // revocation): the ack carries the data, which the home commits before it goes on; the
      // WriteBack is then refused (no holder record), its ack ends the flush.
      const flushing = this.#flushing.get(id);
      if (flushing !== undefined && revokes(message, flushing)) dirty = flushing.data;
    }
    const requestId = this.#pendingByKey.get(id);
    const pending = requestId === undefined ? undefined : this.#pending.get(requestId);
    if (pending !== undefined) {
      const before = pending.revoked;
      const upToSeq = before !== null && before.epoch === message.epoch
        ? Math.max(before.upToSeq, message.upToSeq)
        : message.upToSeq;
      pending.revoked = { epoch: message.epoch, upToSeq };
    }
    const { slot, epoch, key, upToSeq } = message;
    this.#outbox.push({ type: "invalidateAck", slot, epoch, key, upToSeq, keptShared, dirty });
  }

  #sendRenewal(slot: number, due: CacheLine[], nowMs: number): void {
    const requestId = this.#takeRequestId();
    const lines: RenewLine[] = [];
    for (const line of due) {
      line.renewingId = requestId;
      lines.push({ key: line.key, grantSeq: line.grantSeq });
    }
    this.#renewals.set(requestId, { slot, sentAtMs: nowMs, lines });
    const epoch = this.#epochs.get(slot) ?? 0;
    this.#outbox.push({ type: "renewRequest", slot, epoch, requestId, lines });
  }

  /** Forgets a renewal: its lines that still carry its id may be renewed again. */
  #endRenewal(requestId: number): void {
    const renewal = this.#renewals.get(requestId);
    if (renewal === undefined) return;
    this.#renewals.delete(requestId);
    for (const sent of renewal.lines) {
      const line = this.#lines.peekKey(sent.key);
      if (line !== undefined && line.renewingId === requestId) line.renewingId = null;
    }
  }

  /**
   * A RenewGrant (its epoch accepted): each line of the request not refused whose line is still
   * the one sent (same grant, marked with this renewal: a line replaced or revoked meanwhile is
   * not), live and clean, now ends `leaseMs` after the request was sent (never earlier than it
   * did). The home counts its record from after its barrier, later, so the node's lease ends first.
   */
  #onRenewGrant(message: RenewGrantMessage, nowMs: number): void {
    const renewal = this.#renewals.get(message.requestId);
    if (renewal === undefined || renewal.slot !== message.slot) return;
    this.#endRenewal(message.requestId);
    const refused = message.refused;
    let nextRefused = 0;
    renewal.lines.forEach((sent, index) => {
      if (refused[nextRefused] === index) {
        nextRefused++;
        return; // refused: the line keeps its lease
      }
      const line = this.#lines.peekKey(sent.key);
      if (
        line === undefined || line.epoch !== message.epoch || line.grantSeq !== sent.grantSeq ||
        line.dirty !== null || message.leaseMs === 0 || !this.#isLive(line, nowMs)
      ) return;
      line.leaseEndMs = Math.max(line.leaseEndMs, renewal.sentAtMs + message.leaseMs);
    });
  }

  /**
   * A WriteBack committed (or refused: the line is gone). The ack of the one in flight renews
   * the lease from when that version was first sent (the home counts from its ack, later), so a
   * line written steadily stays M; writes made since go next, at their due time.
   */
  #onWriteBackAck(message: WriteBackAckMessage, nowMs: number): void {
    // Found by the key's bytes: the string id only for a final one or a refusal.
    if (this.#flushing.size > 0) this.#flushing.delete(keyIdOf(message.key));
    const line = this.#lines.peekKey(message.key);
    if (
      line === undefined || line.epoch !== message.epoch || line.grantSeq !== message.grantSeq ||
      line.dirty === null
    ) return;
    if (!message.accepted) {
      this.#lines.remove(keyIdOf(message.key));
      return;
    }
    const dirty = line.dirty;
    const inFlight = dirty.inFlight;
    if (inFlight !== null && inFlight.version === message.writeVersion) {
      dirty.inFlight = null;
      if (message.leaseMs > 0 && this.#isLive(line, nowMs)) {
        line.leaseEndMs = Math.max(line.leaseEndMs, inFlight.firstSentAtMs + message.leaseMs);
      }
    }
    if (dirty.version === message.writeVersion) {
      line.dirty = null;
      return;
    }
    if (dirty.inFlight !== null || dirty.unsentSinceMs === null) return;
    const dueAtMs = dirty.unsentSinceMs + this.#options.timing.writeBackMs;
    if (nowMs >= dueAtMs) return this.#sendDirty(line, nowMs);
    if (this.#flushAtMs === null || dueAtMs < this.#flushAtMs) this.#flushAtMs = dueAtMs;
  }

  /**
   * Sends the line's unsent writes when the node's flush is due (at the latest writeBackMs after
   * the first of them), one WriteBack in flight per line; resends one unacknowledged for a
   * quarter of the lease as it was (a lost message; so the ack of either copy renews the lease
   * from the first send, and newer writes wait for it).
   */
  #maybeWriteBack(line: CacheLine, nowMs: number): void {
    const dirty = line.dirty;
    assert(dirty !== null, "write-back of a dirty line");
    const timing = this.#options.timing;
    const inFlight = dirty.inFlight;
    if (inFlight !== null) {
      if (nowMs >= inFlight.lastSentAtMs + this.#retryMs) {
        inFlight.lastSentAtMs = nowMs;
        this.#sendWriteBack(line, false, inFlight.version, inFlight.data);
      }
      return this.#retryNoEarlierThan(inFlight.lastSentAtMs + this.#retryMs);
    }
    if (dirty.unsentSinceMs === null) return;
    const ownDueAtMs = dirty.unsentSinceMs + timing.writeBackMs;
    const dueAtMs = Math.min(this.#flushAtMs ?? ownDueAtMs, ownDueAtMs);
    if (nowMs >= dueAtMs) this.#sendDirty(line, nowMs);
  }

  #sendDirty(line: CacheLine, nowMs: number): void {
    const dirty = line.dirty;
    assert(dirty !== null, "write-back of a dirty line");
    // A copy: the line keeps its buffer for the next writes (`ownsValue`); a retry resends this.
    const data = { value: dirty.data.value?.slice() ?? null, ttlMs: dirty.data.ttlMs };
    const version = dirty.version;
    dirty.inFlight = { version, data, firstSentAtMs: nowMs, lastSentAtMs: nowMs };
    dirty.unsentSinceMs = null;
    this.#sendWriteBack(line, false, version, data);
    this.#retryNoEarlierThan(nowMs + this.#retryMs);
  }

  /** How long a WriteBack in flight waits for its ack before it is sent again. */
  get #retryMs(): number {
    const timing = this.#options.timing;
    return Math.max(timing.writeBackMs, timing.leaseMs / 4);
  }

  #retryNoEarlierThan(atMs: number): void {
    if (this.#retryAtMs === null || atMs < this.#retryAtMs) this.#retryAtMs = atMs;
  }

  #sendWriteBack(line: CacheLine, final: boolean, writeVersion: number, dirty: DirtyData): void {
    const { slot, epoch, key, grantSeq } = line;
    this.#stats.writeBacksSent++;
    this.#outbox.push({
      type: "writeBack",
      slot,
      epoch,
      key,
      grantSeq,
      writeVersion,
      dirty,
      final,
    });
  }

  /** A line that may not answer any more: dirty data is sent as a final write-back. */
  #dropLapsed(id: string, line: CacheLine, nowMs: number): void {
    this.#lines.remove(id);
    if (line.dirty === null) return;
    if (line.expiryEndMs !== null && nowMs >= line.expiryEndMs) {
      line.dirty.data = { value: null, ttlMs: null };
    }
    this.#sendFinal(id, line, nowMs);
  }

  #evicted(line: CacheLine, nowMs: number): void {
    this.#stats.evictions++;
    this.#handBack(line, nowMs);
  }

  /**
   * A live line that left the store (evicted, or released by a stopping node): its dirty data
   * as a final WriteBack, or else an eviction notice. `id`: its key id, when the caller has it.
   */
  #handBack(line: CacheLine, nowMs: number, id?: string): void {
    if (line.dirty !== null) return this.#sendFinal(id ?? keyIdOf(line.key), line, nowMs);
    const { slot, epoch, key, grantSeq } = line;
    this.#outbox.push({ type: "evict", slot, epoch, key, grantSeq });
  }

  /** The final WriteBack of a dirty line that left the store; the key waits for its ack. */
  #sendFinal(id: string, line: CacheLine, nowMs: number): void {
    const dirty = line.dirty;
    assert(dirty !== null, "a final write-back of a dirty line");
    this.#sendWriteBack(line, true, dirty.version, dirty.data);
    const { slot, epoch, grantSeq } = line;
    this.#flushing.set(id, { slot, sentAtMs: nowMs, epoch, grantSeq, data: dirty.data });
  }
}

/** Whether a Forward or Invalidate covers what was held under `held`'s epoch and grant. */
function revokes(
  message: ForwardMessage | InvalidateMessage,
  held: { epoch: number; grantSeq: number },
): boolean {
  return held.epoch === message.epoch && held.grantSeq <= message.upToSeq;
}
