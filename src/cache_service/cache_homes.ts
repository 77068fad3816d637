import {
  CACHE_FENCE_NODES_MAX,
  CacheHome,
  type CacheTiming,
  type CacheWrite,
  type HomeToNodeMessage,
  type NodeToHomeMessage,
  type StoreRequest,
  type StoreResult,
} from "../cache/mod.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import type { RaftHost } from "../consensus/raft_host.ts";
import type { Logger } from "../log/logger.ts";
import type { KvKeyState, KvKeyWrite } from "../kv_service/kv_service.ts";
import { byteString } from "../kv/key.ts";
import { StoreUnavailableError } from "./store_unavailable.ts";

/**
 * The store of record the homes read and commit through: the slot groups' kv service, or a
 * Redis server (`--cache-backend`, RedisStore). A store that cannot be reached throws
 * StoreUnavailableError.
 */
export interface CacheStore {
  /** `epoch`: the asking home's (its slot leader's term). */
  readKey(slot: number, key: Uint8Array, epoch: number): Promise<KvKeyState>;
  writeKey(slot: number, key: Uint8Array, write: CacheWrite, epoch: number): Promise<KvKeyWrite>;
  /**
   * A store outside the slot groups (Redis) fences homes itself: a new home of `slot` calls this
   * before it serves, and the store then refuses every access of an older epoch. False: a newer
   * home fenced it first (this one never serves). Absent: the slot groups fence (a deposed
   * leader's read barrier or commit fails).
   */
  fence?(slot: number, epoch: number): Promise<boolean>;
  /**
   * Plain SETs (no TTL, no condition) of distinct keys of one slot, committed together (fewer
   * entries than keys), each answered in order; absent: each goes through `writeKey`.
   */
  writePairs?(slot: number, pairs: Array<{ key: Uint8Array; value: Uint8Array }>): Promise<
    KvKeyWrite[]
  >;
}

/** Plain SETs a home asks for in one turn go to the store together, at most this many per batch. */
const COMMIT_BATCH_PAIRS_MAX = 512;

/** What the homes need from the node. */
export interface CacheHomesOptions {
  timing: CacheTiming;
  /** The host of slot `slot`'s group on this node, if hosted. */
  slotHost(slot: number): RaftHost<unknown> | undefined;
  /** Every slot group hosted on this node. */
  slotHosts(): Array<[number, RaftHost<unknown>]>;
  store: CacheStore;
  /**
   * Resolves once this node is confirmed, after the call, to still lead slot `slot` (a ReadIndex
   * barrier on the slot's group, `KvService.confirmLead`); rejects when it does not. A slot
   * renewal is answered only after one, with either store of record.
   */
  leaderBarrier(slot: number): Promise<void>;
  /** Sends a home's message to node `to` (this node included). */
  deliver(to: string, message: HomeToNodeMessage): void;
  nowMs(): number;
  logger: Logger;
  /** This node's id (it is always in its homes' fences). */
  nodeId: string;
  /**
   * Every node that may hold a line of an older home (MembershipWatch.known), or null when
   * this node cannot tell: its new homes then only wait for the old leases to lapse.
   */
  fenceNodes(): string[] | null;
  /** True when `id` is a member in this node's view: homes take requests only from members. */
  isMember(id: string): boolean;
}

/** A request a home took and has not answered yet (refused if the home is dropped). */
interface OpenRequest {
  to: string;
  requestId: number;
  key: Uint8Array;
  /** An exclusive request (a write), whose commit may be in flight. */
  write: boolean;
}

interface LiveHome {
  slot: number;
  /** The slot leader's term when the home was made: the home's epoch. */
  epoch: number;
  home: CacheHome;
  /** Keyed `from NUL requestId`; bounded by the nodes' outstanding requests. */
  open: Map<string, OpenRequest>;
  /** Keys (as byte strings) with a commit sent to the store and not yet answered, and how many. */
  committing: Map<string, number>;
  /** When the home last sent its Fence to the nodes that have not acknowledged it. */
  fenceSentMs: number;
  /** Plain-SET commits of this turn, sent to the store together at its end (`writePairs`). */
  batch: Array<StoreRequest & { kind: "commit" }>;
}

/** A new home resends its Fence this often to the nodes that have not acknowledged it. */
const FENCE_RESEND_MS = 200;
/** A store fence that failed (the store unreachable) is tried again after this long. */
const STORE_FENCE_RETRY_MS = 200;

/**
 * The store fence (`CacheStore.fence`) of the term this node leads a slot in: none sent yet
 * (`idle`, or again after a failure at `retryAtMs`), sent, raised (the home may be made), or
 * refused (a newer home fenced the store: no home in this term).
 */
interface StoreFence {
  epoch: number;
  state: "idle" | "pending" | "raised" | "refused";
  retryAtMs: number;
}

/**
 * The cache homes of the slots this node leads: one CacheHome per led slot, made when the node
 * is seen leading in a term (its epoch) and dropped when it stops leading or the term changes;
 * a dropped home refuses every request it still had open (`notLeader`, so the client retries).
 * Store requests are run on the slot's kv service; their answers reach the home only if it is
 * still the slot's current home.
 */
export class CacheHomes {
  readonly #options: CacheHomesOptions;
  readonly #homes = new Map<number, LiveHome>();
  /** Per slot, the store fence of the latest term seen leading it (stores that fence only). */
  readonly #storeFences = new Map<number, StoreFence>();
  /** Invalidations and forwards sent by homes already dropped. */
  #invalidationsSentBefore = 0;
  /** Counters for INFO cache. */
  readonly stats = {
    homesMade: 0,
    homesDropped: 0,
    storeReads: 0,
    storeCommits: 0,
    /** Leadership barriers run for slot renewals (one per RenewRequest). */
    storeBarriers: 0,
    storeFailed: 0,
    /** Store calls that carried several plain-SET commits (write-backs of one slot, mostly). */
    storeBatches: 0,
    /** Homes made with an epoch fence (the others wait for the old leases to lapse). */
    fencesStarted: 0,
    /** Fences of the store of record sent by new homes (Redis only). */
    storeFences: 0,
  };

  constructor(options: CacheHomesOptions) {
    this.#options = options;
  }

  /** Homes on this node now. */
  get size(): number {
    return this.#homes.size;
  }

  /** Invalidations and forwards sent by every home this node ran (CACHE.STATS). */
  get invalidationsSent(): number {
    let sent = this.#invalidationsSentBefore;
    for (const live of this.#homes.values()) sent += live.home.invalidationsSent;
    return sent;
  }

  /** Handles one message for the home of `message.slot` from node `from`. */
  receive(from: string, message: NodeToHomeMessage): void {
    const live = this.#current(message.slot);
    // A home grants only to members, so its fence (members and recent leavers) reaches them all.
    if (live === null || !this.#options.isMember(from)) {
      // Not the home here: epoch 0 tells the sender's service to give up at once (no line).
      if (message.type === "readRequest" || message.type === "exclusiveRequest") {
        const { slot, requestId, key } = message;
        this.#options.deliver(from, {
          type: "refuse",
          slot,
          epoch: 0,
          requestId,
          key,
          reason: "notLeader",
        });
      } else if (message.type === "renewRequest") {
        const { slot, requestId, lines } = message;
        const refused = lines.map((_, index) => index);
        this.#options.deliver(from, {
          type: "renewGrant",
          slot,
          epoch: 0,
          requestId,
          leaseMs: 0,
          refused,
        });
      }
      return;
    }
    if (message.type === "readRequest" || message.type === "exclusiveRequest") {
      const { requestId, key } = message;
      const write = message.type === "exclusiveRequest";
      live.open.set(`${from}\u0000${requestId}`, { to: from, requestId, key, write });
    }
    live.home.receive(from, message, this.#options.nowMs());
    this.#flush(live);
  }

  /** Makes and drops homes as leadership moved, then lets each home's time pass. */
  tick(): void {
    const nowMs = this.#options.nowMs();
    for (const slot of [...this.#homes.keys()]) this.#current(slot);
    for (const [slot, host] of this.#options.slotHosts()) {
      if (host.leading && !this.#homes.has(slot)) this.#current(slot);
    }
    for (const live of this.#homes.values()) {
      live.home.tick(nowMs);
      if (nowMs >= live.fenceSentMs + FENCE_RESEND_MS) {
        live.fenceSentMs = nowMs;
        for (const { to, message } of live.home.fencesDue(nowMs)) {
          this.#options.deliver(to, message);
        }
      }
      this.#flush(live);
    }
  }

  /**
   * The node is stopping: every home here takes its lines back (`CacheHome.recall`: no more
   * leases, every holder invalidated, the dirty data of their acks committed). Call on every tick;
   * returns how many keys, over all homes, still have holders or jobs.
   */
  recall(): number {
    const nowMs = this.#options.nowMs();
    let busy = 0;
    for (const slot of [...this.#homes.keys()]) this.#current(slot); // dropped if no longer led
    for (const live of this.#homes.values()) {
      busy += live.home.recall(nowMs);
      this.#flush(live);
    }
    return busy;
  }

  /** Drops every home (node stopping). */
  stop(): void {
    for (const [slot, live] of [...this.#homes]) this.#drop(slot, live);
  }

  /** The current home of `slot`, made or dropped to match this node's leadership of it. */
  #current(slot: number): LiveHome | null {
    const host = this.#options.slotHost(slot);
    const term = host !== undefined && host.leading ? host.core.term : 0;
    const live = this.#homes.get(slot);
    if (live !== undefined && live.epoch === term) return live;
    if (live !== undefined) this.#drop(slot, live);
    if (term === 0 || !this.#storeFenced(slot, term)) return null;
    const nowMs = this.#options.nowMs();
    const home = new CacheHome(slot, term, nowMs, this.#options.timing);
    const fence = this.#fenceOf(host!);
    if (fence !== null) {
      home.fence(fence, nowMs);
      this.stats.fencesStarted++;
    }
    const made: LiveHome = {
      slot,
      epoch: term,
      home,
      open: new Map(),
      committing: new Map(),
      fenceSentMs: nowMs,
      batch: [],
    };
    this.#homes.set(slot, made);
    this.stats.homesMade++;
    this.#options.logger.debug("cache home made", { slot, epoch: term, fence: fence?.join(",") });
    return made;
  }

  /**
   * Whether a store that fences homes itself (Redis) has been fenced for `slot` at `term`; if not,
   * starts that (once at a time, again after a failure) and makes the home when it is done. The
   * home's startup wait counts from then: an older home's grants all came from reads made before
   * the fence, hence before this home was made, and every access it tries after is refused.
   */
  #storeFenced(slot: number, term: number): boolean {
    const store = this.#options.store;
    if (store.fence === undefined) return true;
    let state = this.#storeFences.get(slot);
    if (state === undefined || state.epoch !== term) {
      state = { epoch: term, state: "idle", retryAtMs: 0 };
      this.#storeFences.set(slot, state);
    }
    if (state.state !== "idle" || this.#options.nowMs() < state.retryAtMs) {
      return state.state === "raised";
    }
    const current = state;
    current.state = "pending";
    this.stats.storeFences++;
    Promise.try(() => store.fence!(slot, term)).then((newest) => {
      if (this.#storeFences.get(slot) !== current) return;
      current.state = newest ? "raised" : "refused";
      if (!newest) {
        this.#options.logger.info("cache home not made: a newer home fenced the store", {
          slot,
          epoch: term,
        });
      }
      this.#current(slot);
    }, (error) => {
      if (this.#storeFences.get(slot) !== current) return;
      current.state = "idle";
      current.retryAtMs = this.#options.nowMs() + STORE_FENCE_RETRY_MS;
      this.#options.logger.debug("cache store fence failed", { slot, error: String(error) });
    });
    return false;
  }

  /**
   * The fence set of a new home of the slot `host` leads: the nodes this node knows (members and
   * recent leavers), the slot group's own voters and learners and this node; null (no fence) when
   * this node cannot tell who may hold lines, or when there are too many to name.
   */
  #fenceOf(host: RaftHost<unknown>): string[] | null {
    const known = this.#options.fenceNodes();
    if (known === null) return null;
    const { voters, learners } = host.status().confState;
    const nodes = [...new Set([...known, ...voters, ...learners, this.#options.nodeId])].sort();
    return nodes.length <= CACHE_FENCE_NODES_MAX ? nodes : null;
  }

  #drop(slot: number, live: LiveHome): void {
    this.#homes.delete(slot);
    this.stats.homesDropped++;
    // A write whose key has a commit in the store may have been proposed (it may still commit
    // under the next leader): its outcome is unknown. A read, or a write on a key with no commit
    // under way (still waiting at the home, e.g. for the old leases to lapse), changed nothing
    // and is safe to retry.
    for (const { to, requestId, key, write } of live.open.values()) {
      const maybeProposed = write && live.committing.has(byteString(key));
      this.#options.deliver(to, {
        type: "refuse",
        slot,
        epoch: live.epoch,
        requestId,
        key,
        reason: maybeProposed ? "unknown" : "notLeader",
      });
    }
    // The lines it granted stop answering now, not when their leases lapse (the slot moved).
    for (const { to, message } of live.home.release()) this.#options.deliver(to, message);
    this.#invalidationsSentBefore += live.home.invalidationsSent;
    this.#options.logger.debug("cache home dropped", { slot, epoch: live.epoch });
  }

  #flush(live: LiveHome): void {
    for (const { to, message } of live.home.takeMessages()) {
      if (message.type === "grant" || message.type === "refuse") {
        live.open.delete(`${to}\u0000${message.requestId}`);
      }
      this.#options.deliver(to, message);
    }
    for (const request of live.home.takeStoreRequests()) this.#perform(live, request);
  }

  #perform(live: LiveHome, request: StoreRequest): void {
    const store = this.#options.store;
    let done: Promise<StoreResult>;
    if (request.kind === "barrier") {
      this.stats.storeBarriers++;
      const confirmed = Promise.try(() => this.#options.leaderBarrier(live.slot));
      done = confirmed.then(() => ({ ok: true, value: null, ttlRemainingMs: null, applied: true }));
    } else if (request.kind === "read") {
      this.stats.storeReads++;
      done = store.readKey(live.slot, request.key, live.epoch).then((state) => ({
        ok: true,
        value: state.value,
        ttlRemainingMs: state.ttlRemainingMs,
        applied: true,
      }));
    } else {
      this.stats.storeCommits++;
      const text = byteString(request.key);
      live.committing.set(text, (live.committing.get(text) ?? 0) + 1);
      const { value, ttlMs, condition } = request.write;
      if (store.writePairs !== undefined && value !== null && ttlMs === null) {
        if (condition === "always") return this.#batch(live, request);
      }
      done = store.writeKey(live.slot, request.key, request.write, live.epoch).then(
        resultOfWrite,
      );
    }
    this.#settle(live, request, done);
  }

  /**
   * Queues a plain SET for the store call that ends this turn: the write-backs of a slot that
   * a node sends in one tick arrive in one read of its link, so they commit in one entry. The
   * keys are distinct (one transaction per key at the home).
   */
  #batch(live: LiveHome, request: StoreRequest & { kind: "commit" }): void {
    live.batch.push(request);
    if (live.batch.length >= COMMIT_BATCH_PAIRS_MAX) return this.#commitBatch(live);
    if (live.batch.length === 1) queueMicrotask(() => this.#commitBatch(live));
  }

  #commitBatch(live: LiveHome): void {
    const batch = live.batch;
    if (batch.length === 0) return;
    live.batch = [];
    const pairs = batch.map(({ key, write }) => ({ key, value: write.value! }));
    const written = Promise.try(() => this.#options.store.writePairs!(live.slot, pairs));
    if (batch.length > 1) this.stats.storeBatches++;
    batch.forEach((request, index) => {
      this.#settle(live, request, written.then((writes) => resultOfWrite(writes[index]!)));
    });
  }

  /** Hands a store access's answer to the home (if still current), failures as refusals. */
  #settle(live: LiveHome, request: StoreRequest, done: Promise<StoreResult>): void {
    done.catch((error): StoreResult => {
      this.stats.storeFailed++;
      this.#options.logger.debug("cache store access failed", {
        slot: live.slot,
        error: String(error),
      });
      // Only TRYAGAIN says a proposal can never commit; any other failure of a commit leaves
      // its outcome unknown, and the client must not be told it is safe to retry.
      const surelyNot = request.kind === "read" ||
        (error instanceof ClusterError && error.code === "TRYAGAIN");
      if (error instanceof StoreUnavailableError && (surelyNot || !error.maybeSent)) {
        return { ok: false, reason: "unavailable" };
      }
      return { ok: false, reason: surelyNot ? "notLeader" : "unknown" };
    }).then((result) => {
      // The commit stays counted until its answer is handed to the home: a drop before then
      // answers the write as unknown, never as safe to retry.
      if (request.kind === "commit") {
        const text = byteString(request.key);
        const left = (live.committing.get(text) ?? 1) - 1;
        if (left === 0) live.committing.delete(text);
        else live.committing.set(text, left);
      }
      if (this.#homes.get(live.slot) !== live) return; // dropped: its requests were refused
      // A barrier counts only for the home's own term: one confirmed in a later term is dropped.
      if (request.kind === "barrier" && this.#current(live.slot) !== live) return;
      live.home.storeDone(request.token, result, this.#options.nowMs());
      this.#flush(live);
    });
  }
}

function resultOfWrite(write: KvKeyWrite): StoreResult {
  if (write.kind === "refused") return { ok: false, reason: "refused" };
  return {
    ok: true,
    value: write.value,
    ttlRemainingMs: write.ttlRemainingMs,
    applied: write.applied,
  };
}
