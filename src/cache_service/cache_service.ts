import type { PeerMessage } from "../../protocol/peer/mod.ts";
import {
  type CacheMessage,
  CacheNode,
  type CacheNodeOptions,
  type CacheWrite,
  type Completion,
  type FenceMessage,
  type HomeToNodeMessage,
  type NodeToHomeMessage,
} from "../cache/mod.ts";
import { bytesEqual, keyIdOf } from "../cache/key_id.ts";
import { ClusterError, noLeaderError } from "../consensus/cluster_error.ts";
import { randomReadIdStart } from "../consensus/read_ids.ts";
import type { Logger } from "../log/logger.ts";
import { keySlot } from "../placement/key_slot.ts";
import { CacheHomes, type CacheHomesOptions } from "./cache_homes.ts";
import { cacheMessagesOf } from "./cache_frames.ts";
import { CacheOutbox } from "./cache_outbox.ts";
import { MembershipWatch } from "./membership_watch.ts";

/**
 * Asks of one read or write while the key's home cannot be found (no home known or reachable,
 * or the node asked does not lead the slot: a slot moving or changing leader). Between asks the
 * request pauses HOME_RETRY_FIRST_MS, doubling up to HOME_RETRY_MAX_MS, and it gives up (TRYAGAIN,
 * or NOQUORUM) after HOME_ASKS_MAX asks or half the request timeout, whichever comes first.
 */
const HOME_ASKS_MAX = 16;
/** First pause before asking another home. */
const HOME_RETRY_FIRST_MS = 20;
/** Longest pause between two asks. */
const HOME_RETRY_MAX_MS = 400;
/** Clients parked behind another request for the same key, at most (then `-TRYAGAIN`). */
const KEY_WAITERS_MAX = 10_000;

/** What the service needs from the node. */
export interface CacheServiceOptions {
  nodeId: string;
  cache: CacheNodeOptions;
  homes: Omit<
    CacheHomesOptions,
    "timing" | "deliver" | "nowMs" | "logger" | "nodeId" | "fenceNodes" | "isMember"
  >;
  /**
   * The cluster's members as this node sees them (for the epoch fence, docs/cache.md). Without
   * it no home fences (every new home waits for the old leases to lapse) and every node counts
   * as a member.
   */
  memberIds?(): Iterable<string>;
  slotCount(): number;
  /** The node that leads slot `slot` as this node knows it (the key's home), or null. */
  homeOf(slot: number): string | null;
  /** The home `homeOf` named for `slot` refused as not leading: name another next time. */
  homeRefused?(slot: number): void;
  /** True when this node reaches a majority of the slot's group (for the refusal's wording). */
  quorumReachable(slot: number): boolean;
  /** Sends a frame to peer `to`; false when it could not be queued (peer down). */
  send(to: string, frame: PeerMessage): boolean;
  isUp(id: string): boolean;
  /**
   * True when peer `id` has sent nothing for a few heartbeat intervals (a live node never is);
   * a home that is silent while another node leads its slot was replaced (default: never).
   */
  silent?(id: string): boolean;
  /** A client waiting on a request longer than this gets `-TRYAGAIN`. */
  requestTimeoutMs: number;
  /** Period of the timer that drives the protocol's time. */
  tickMs: number;
  nowMs(): number;
  /**
   * True when `nowMs` is `performance.now()`: a hit may then use the clock read its client's
   * batch of commands took (`CommandCall.nowMs`) instead of reading the clock itself.
   */
  batchClock?: boolean;
  logger: Logger;
}

/** A read's answer: the value (null: missing) and the TTL left, or null (none). */
export interface KeyRead {
  value: Uint8Array | null;
  ttlRemainingMs: number | null;
}

/**
 * A request's answer: the home's, or `unrouted` when it was never taken by a home (no home known
 * or reachable, or the node asked does not lead the slot): nothing was applied, ask again.
 */
type Answer = Completion | { requestId: number; kind: "unrouted"; sent: boolean };

interface Parked {
  key: Uint8Array;
  /** A write: if it times out its outcome is unknown (TIMEOUT, not TRYAGAIN). */
  write: boolean;
  deadlineMs: number;
  /** The peer the request went to, and for which slot; null while unsent or at a local home. */
  sentTo: { home: string; slot: number } | null;
  settle(answer: Answer | ClusterError): void;
}

/** A request pausing before it asks another home (woken by the timer). */
interface Pause {
  untilMs: number;
  wake(error: ClusterError | null): void;
}

interface KeyWaiter {
  deadlineMs: number;
  wake(error: ClusterError | null): void;
}

/**
 * The cache on this node: one CacheNode (its lines) and the CacheHomes of the slots it leads,
 * joined to the slot groups (store), the peer transport (frames in the cache code range) and a
 * timer (the protocol's time). Reads hit a live local line or ask the key's home; writes go
 * through the home (every other copy invalidated, the write committed, then acknowledged).
 */
export class CacheService {
  readonly #options: CacheServiceOptions;
  readonly node: CacheNode;
  readonly homes: CacheHomes;
  readonly #membership: MembershipWatch;
  readonly #parked = new Map<number, Parked>();
  /** Messages for other nodes, sent at the end of each turn. */
  readonly #outbox: CacheOutbox;
  readonly #keyWaiters = new Map<string, KeyWaiter[]>();
  /** Requests pausing between asks; bounded by the clients waiting on them. */
  readonly #pauses = new Set<Pause>();
  #keyWaiterCount = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Counters for INFO cache and metrics. */
  readonly stats = {
    /** Peer frames: one cache message each, or a CacheBundle of several. */
    framesSent: 0,
    framesReceived: 0,
    framesDropped: 0,
    /** Cache messages in the frames sent and received (not those to this node's own homes). */
    messagesSent: 0,
    messagesReceived: 0,
    requestsRefused: 0,
    requestsTimedOut: 0,
    /** RenewRequests sent (one per slot and renewal walk, more past their bounds). */
    renewals: 0,
    /** Asks sent again to another home (the slot moved or changed leader). */
    homeRetries: 0,
    /** Requests settled early because their home went down or silent and was replaced. */
    requestsHomeLost: 0,
    /** Fences acknowledged by this node, and not (it knows a node outside the fence set). */
    fencesAcked: 0,
    fencesNotAcked: 0,
  };

  constructor(options: CacheServiceOptions) {
    this.#options = options;
    // Ids from a random start: a home's answer to the process before a restart must not match.
    this.node = new CacheNode({
      ...options.cache,
      requestIdStart: options.cache.requestIdStart ?? randomReadIdStart(),
    });
    this.#outbox = new CacheOutbox({
      send: (to, frame) => options.send(to, frame),
      onFrameSent: (to, carried) => this.#sent(to, carried),
      onNotSent: (message) => this.#notSent(message, true),
      logger: options.logger,
    });
    const timing = options.cache.timing;
    this.#membership = new MembershipWatch(timing.leaseMs + timing.holderMarginMs);
    const watching = options.memberIds !== undefined;
    this.homes = new CacheHomes({
      ...options.homes,
      timing,
      deliver: (to, message) => this.#deliver(to, message),
      nowMs: options.nowMs,
      logger: options.logger,
      nodeId: options.nodeId,
      fenceNodes: () => watching ? this.#membership.known(options.nowMs()) : null,
      isMember: (id) => !watching || id === options.nodeId || this.#membership.isMember(id),
    });
  }

  /** Starts the timer that drives leases, homes and client timeouts. */
  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#options.tickMs);
  }

  /**
   * The node is stopping and takes no more client commands (docs/cache.md, "A graceful stop"):
   * hands its own lines back to their homes (`CacheNode.release`: dirty data in final
   * WriteBacks), and the homes here take back the lines they granted to other nodes
   * (`CacheHomes.recall`: their dirty data committed before this node's slots change leader).
   * Waits, one tick at a time, until both are done or a lease and its margin passed (after that
   * the homes elsewhere refuse this node's WriteBacks, and the holders here lapse). Returns what
   * is left (lines and final WriteBacks unacknowledged, keys still held); the dirty data among
   * them may lose its last writes, as in a crash.
   */
  async release(): Promise<number> {
    const { leaseMs, holderMarginMs } = this.#options.cache.timing;
    const startMs = this.#options.nowMs();
    const lines = this.node.lineCount;
    /** Keys the homes here had lines out for when the release began. */
    let recalled: number | null = null;
    for (;;) {
      const linesLeft = this.node.release(this.#options.nowMs());
      this.#flushNode();
      const keysLeft = this.homes.recall();
      recalled ??= keysLeft;
      const left = linesLeft + keysLeft;
      const tookMs = Math.round(this.#options.nowMs() - startMs);
      if (left === 0) {
        if (lines > 0 || recalled > 0) {
          this.#options.logger.info("cache lines handed back", { lines, recalled, tookMs });
        }
        return 0;
      }
      if (tookMs >= leaseMs + holderMarginMs) {
        this.#options.logger.warn("cache lines not all handed back before stopping", {
          lines,
          linesLeft,
          recalled,
          keysLeft,
          tookMs,
        });
        return left;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.tickMs));
    }
  }

  /** Stops the timer, drops the homes and fails every waiting client. */
  stop(): void {
    clearInterval(this.#timer);
    this.homes.stop();
    const stopping = new ClusterError("TRYAGAIN", "node stopping");
    const unknown = new ClusterError("TIMEOUT", "node stopping; the write's outcome is unknown");
    for (const parked of this.#parked.values()) parked.settle(parked.write ? unknown : stopping);
    this.#parked.clear();
    for (const waiters of this.#keyWaiters.values()) for (const w of waiters) w.wake(stopping);
    this.#keyWaiters.clear();
    for (const pause of this.#pauses) pause.wake(stopping);
    this.#pauses.clear();
  }

  /** One step of the protocol's time (the timer calls it). */
  tick(): void {
    const nowMs = this.#options.nowMs();
    const members = this.#options.memberIds?.();
    if (members !== undefined) this.#membership.observe(members, nowMs);
    // A slot group here in a newer term has (or is electing) a new leader: lines the old home
    // granted stop answering, even if its invalidations never come (it crashed or moved away).
    for (const [slot, host] of this.#options.homes.slotHosts()) {
      this.node.observeEpoch(slot, host.core.term, nowMs);
    }
    this.homes.tick();
    this.node.tick(nowMs);
    // Hot lines renew on hits; this also covers lines whose last hit came before the walk was due.
    this.stats.renewals += this.node.renewLines(nowMs);
    this.#flushNode();
    for (const [requestId, parked] of this.#parked) {
      if (nowMs < parked.deadlineMs) continue;
      this.stats.requestsTimedOut++;
      this.node.abandon(requestId);
      this.#parked.delete(requestId);
      parked.settle(
        parked.write
          ? new ClusterError("TIMEOUT", "the key's home did not answer in time; outcome unknown")
          : new ClusterError("TRYAGAIN", "the key's home did not answer in time; retry"),
      );
      this.#wakeKey(keyIdOf(parked.key));
    }
    this.#settleLostHomes();
    // A key blocked by a write-back (no completion) is retried here; the rest wake on completion.
    for (const id of [...this.#keyWaiters.keys()]) this.#wakeKey(id, nowMs);
    for (const pause of [...this.#pauses]) {
      if (nowMs < pause.untilMs) continue;
      this.#pauses.delete(pause);
      pause.wake(null);
    }
  }

  /**
   * Settles now, not at their deadline, the requests whose home will not answer in time: its
   * node is marked down, or another node now leads the slot while the home is silent (stopped or
   * cut off, hence replaced; a replaced home that still talks answers its requests itself). A read
   * asks the new home; a write's outcome is unknown (the old home may have replicated it).
   */
  #settleLostHomes(): void {
    const silent = this.#options.silent ?? (() => false);
    for (const [requestId, parked] of this.#parked) {
      const sentTo = parked.sentTo;
      if (sentTo === null) continue;
      const { home, slot } = sentTo;
      if (this.#options.isUp(home) && (this.#options.homeOf(slot) === home || !silent(home))) {
        continue;
      }
      this.stats.requestsHomeLost++;
      this.node.abandon(requestId);
      this.#parked.delete(requestId);
      parked.settle(
        parked.write
          ? new ClusterError(
            "TIMEOUT",
            `the key's home ${home} stopped answering while the write was in flight; ` +
              "it may or may not apply",
          )
          : { requestId, kind: "unrouted", sent: true },
      );
      this.#wakeKey(keyIdOf(parked.key));
    }
  }

  /**
   * GET's hit path, without allocation: the value of a live line (null: the key is missing), or
   * undefined when it is not a hit (the caller then calls `read`). `batchNowMs`, when given, is a
   * `performance.now()` read after the command's bytes arrived and before it ran, in the same
   * synchronous run (CommandCall.nowMs); used only when this service's clock is that one.
   *
   * Why a clock read shared by a batch is safe: every command of the batch was invoked (its bytes
   * received) before that read, and is answered after it, so the read's instant lies inside each
   * command's invocation-to-response window. The line is live at that instant, so no conflicting
   * write had been acknowledged then (the home commits one only after the holder's lease lapsed,
   * plus its margin); answering with the line's value is linearizable at that instant. Nothing can
   * change the line between that instant and the answer: the batch runs without yielding (a
   * message from a home is handled in a later task), and the next slice reads the clock again.
   */
  hitValue(key: Uint8Array, batchNowMs?: number): Uint8Array | null | undefined {
    const nowMs = this.#batchNow(batchNowMs);
    const line = this.node.hitLine(key, nowMs);
    if (line === null) return undefined;
    if (this.node.renewDue(line, nowMs)) this.#renewLines(nowMs);
    return line.value;
  }

  /** The batch's clock read when given and this service's clock is that one, else a new read. */
  #batchNow(batchNowMs: number | undefined): number {
    return batchNowMs !== undefined && this.#options.batchClock === true
      ? batchNowMs
      : this.#options.nowMs();
  }

  /** A local hit, or null (the caller then calls `read`). */
  hit(key: Uint8Array): KeyRead | null {
    const nowMs = this.#options.nowMs();
    const hit = this.node.hit(key, nowMs);
    if (hit === null) return null;
    if (hit.renew) this.#renewLines(nowMs);
    return { value: hit.value, ttlRemainingMs: this.#ttlLeft(hit.expiryEndMs, nowMs) };
  }

  /**
   * A write acknowledged locally (write-back on a line this node owns), or null (the caller then
   * calls `write`). `write.value` may be a view of the caller's input: the line copies it.
   * `batchNowMs` as for `hitValue`, and safe for the same reason: the write takes effect at that
   * instant, when the line was live in M or E, so no other node could read or write the key then;
   * nothing reaches the line before the write is applied (the batch does not yield). The instant is
   * earlier than a fresh read by about a slice (`CLIENT_SLICE_MS_DEFAULT`, 10 ms), far inside the
   * home's margin (`holderMarginMs`) for the final WriteBack of a line that lapses; a TTL counted
   * from it ends earlier, and the write-back it schedules is due earlier.
   */
  writeHit(key: Uint8Array, write: CacheWrite, batchNowMs?: number): boolean | null {
    const applied = this.node.writeHit(key, write, this.#batchNow(batchNowMs));
    // A bigger value may have evicted lines: their notices (or final write-backs) leave now.
    if (this.node.hasMessages) this.#flushNode();
    return applied;
  }

  /** Reads `key` (the caller's own copy: it is kept while the request is out). */
  async read(key: Uint8Array): Promise<KeyRead> {
    const route = this.#route();
    while (true) {
      const nowMs = this.#options.nowMs();
      const slot = keySlot(key, this.#options.slotCount());
      const decision = this.node.read(key, slot, nowMs);
      switch (decision.kind) {
        case "hit":
          return {
            value: decision.value,
            ttlRemainingMs: this.#ttlLeft(decision.expiryEndMs, nowMs),
          };
        case "full":
          throw new ClusterError("TRYAGAIN", "too many cache requests outstanding; retry");
        case "wait":
          await this.#waitKey(key);
          continue;
        case "request": {
          const completion = await this.#park(decision.requestId, key, false);
          if (completion.kind === "read") {
            return { value: completion.value, ttlRemainingMs: completion.ttlRemainingMs };
          }
          if (await this.#askAnotherHome(completion, slot, route)) continue;
          throw this.#refusal(completion, slot);
        }
      }
    }
  }

  /** Writes `key` through its home; true when applied (the NX/XX condition held, or DEL found it). */
  async write(key: Uint8Array, write: CacheWrite): Promise<boolean> {
    const route = this.#route();
    while (true) {
      const nowMs = this.#options.nowMs();
      const slot = keySlot(key, this.#options.slotCount());
      const decision = this.node.write(key, slot, write, nowMs);
      switch (decision.kind) {
        case "done":
          return decision.applied;
        case "full":
          throw new ClusterError("TRYAGAIN", "too many cache requests outstanding; retry");
        case "wait":
          await this.#waitKey(key);
          continue;
        case "request": {
          const completion = await this.#park(decision.requestId, key, true);
          if (completion.kind === "write") return completion.applied;
          if (await this.#askAnotherHome(completion, slot, route)) continue;
          throw this.#refusal(completion, slot);
        }
      }
    }
  }

  /** A frame in the cache code range from peer `from`: one message, or a bundle's in order. */
  onFrame(from: string, frame: PeerMessage): void {
    const messages = cacheMessagesOf(frame);
    if (messages === null) {
      this.stats.framesDropped++;
      this.#options.logger.debug("cache frame dropped: not a cache message", { from });
      return;
    }
    this.stats.framesReceived++;
    this.stats.messagesReceived += messages.length;
    for (const message of messages) this.#onMessage(from, message);
  }

  #onMessage(from: string, message: CacheMessage): void {
    switch (message.type) {
      case "readRequest":
      case "exclusiveRequest":
      case "invalidateAck":
      case "writeBack":
      case "evict":
      case "fenceAck":
      case "renewRequest":
        return this.homes.receive(from, message);
      default:
        return this.#onHomeMessage(message, from);
    }
  }

  /**
   * A renewal walk (throttled by the node): one RenewRequest per slot for the recently used lines
   * well into their lease; nobody waits for the answers.
   */
  #renewLines(nowMs: number): void {
    const sent = this.node.renewLines(nowMs);
    if (sent === 0) return;
    this.stats.renewals += sent;
    this.#flushNode();
  }

  #ttlLeft(expiryEndMs: number | null, nowMs: number): number | null {
    if (expiryEndMs === null) return null;
    const marginMs = this.#options.cache.timing.expiryMarginMs;
    return Math.max(1, Math.round(expiryEndMs + marginMs - nowMs));
  }

  /** The bounds of one read's or write's search for the key's home. */
  #route(): { asks: number; untilMs: number } {
    return { asks: 0, untilMs: this.#options.nowMs() + this.#options.requestTimeoutMs / 2 };
  }

  /**
   * True, after a pause, when a request no home took (nothing applied: unrouted, or refused by a
   * home that stopped leading) should go again, to the home `homeOf` names then; false once
   * HOME_ASKS_MAX asks or the route's time are used up (the caller answers the refusal).
   */
  async #askAnotherHome(
    answer: Answer,
    slot: number,
    route: { asks: number; untilMs: number },
  ): Promise<boolean> {
    const retriable = answer.kind === "unrouted" ||
      (answer.kind === "refused" && answer.reason === "notLeader");
    if (!retriable || ++route.asks >= HOME_ASKS_MAX) return false;
    const pauseMs = Math.min(HOME_RETRY_MAX_MS, HOME_RETRY_FIRST_MS * 2 ** (route.asks - 1));
    const untilMs = this.#options.nowMs() + pauseMs;
    if (untilMs >= route.untilMs) return false;
    // A node that answered (or a dead end) is not the home: name another next time.
    if (answer.kind !== "unrouted" || answer.sent) this.#options.homeRefused?.(slot);
    this.stats.homeRetries++;
    await new Promise<void>((resolve, reject) => {
      this.#pauses.add({ untilMs, wake: (error) => error === null ? resolve() : reject(error) });
    });
    return true;
  }

  #refusal(completion: Answer, slot: number): ClusterError {
    if (completion.kind === "unrouted") {
      if (completion.sent) return new ClusterError("TRYAGAIN", "the key's home moved; retry");
      return noLeaderError(this.#options.quorumReachable(slot));
    }
    if (completion.kind !== "refused") {
      return new ClusterError("ERR", `cache answered a ${completion.kind} for another request`);
    }
    this.stats.requestsRefused++;
    switch (completion.reason) {
      case "busy":
        return new ClusterError("TRYAGAIN", "too many requests wait for this key at its home");
      case "notLeader":
        return new ClusterError("TRYAGAIN", "the key's home moved; retry");
      case "refused":
        return new ClusterError("LIMIT", "the slot's store refused the write (a size limit)");
      case "unavailable":
        return new ClusterError(
          "TRYAGAIN",
          "backend unavailable: the cache's store of record cannot be reached; retry",
        );
      case "unknown":
        return new ClusterError(
          "TIMEOUT",
          "the key's home lost its lead, or its store did not answer, while the write was in " +
            "flight; it may or may not apply",
        );
    }
  }

  #park(requestId: number, key: Uint8Array, write: boolean): Promise<Answer> {
    const deadlineMs = this.#options.nowMs() + this.#options.requestTimeoutMs;
    const answer = new Promise<Answer>((resolve, reject) => {
      this.#parked.set(requestId, {
        key,
        write,
        deadlineMs,
        sentTo: null,
        settle: (result) => result instanceof ClusterError ? reject(result) : resolve(result),
      });
    });
    this.#flushNode();
    return answer;
  }

  #waitKey(key: Uint8Array): Promise<void> {
    if (this.#keyWaiterCount >= KEY_WAITERS_MAX) {
      return Promise.reject(new ClusterError("TRYAGAIN", "too many clients wait for keys; retry"));
    }
    const id = keyIdOf(key);
    const deadlineMs = this.#options.nowMs() + this.#options.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const waiters = this.#keyWaiters.get(id) ?? [];
      waiters.push({ deadlineMs, wake: (error) => error === null ? resolve() : reject(error) });
      this.#keyWaiters.set(id, waiters);
      this.#keyWaiterCount++;
    });
  }

  /** Wakes the clients waiting for key `id` (they try again); past their deadline, refused. */
  #wakeKey(id: string, nowMs = this.#options.nowMs()): void {
    const waiters = this.#keyWaiters.get(id);
    if (waiters === undefined) return;
    this.#keyWaiters.delete(id);
    this.#keyWaiterCount -= waiters.length;
    for (const waiter of waiters) {
      waiter.wake(
        nowMs < waiter.deadlineMs ? null : new ClusterError("TRYAGAIN", "the key stayed busy"),
      );
    }
  }

  /**
   * Sends the node's messages to the homes of their slots (or hands them over locally); a
   * FenceAck goes to `fenceFrom`, the home that sent the Fence (this node may not know yet that
   * it leads the slot).
   */
  #flushNode(fenceFrom?: string): void {
    for (const message of this.node.takeMessages()) this.#toHome(message, fenceFrom);
  }

  #toHome(message: NodeToHomeMessage, fenceFrom?: string): void {
    const me = this.#options.nodeId;
    const home = message.type === "fenceAck" && fenceFrom !== undefined
      ? fenceFrom
      : this.#options.homeOf(message.slot);
    if (home === me) {
      queueMicrotask(() => this.homes.receive(me, message));
      return;
    }
    if (home !== null && this.#options.isUp(home)) return this.#outbox.post(home, message);
    this.#notSent(message, home !== null);
  }

  /**
   * A node message that did not leave: a request is answered unrouted (its caller pauses and
   * asks again; `homeKnown`: a home was named, as opposed to none); acks, write-backs and
   * evictions are dropped (the home counts the holder as invalidated once its lease lapsed).
   */
  #notSent(message: CacheMessage, homeKnown: boolean): void {
    if (message.type === "readRequest" || message.type === "exclusiveRequest") {
      queueMicrotask(() => this.#unrouted(message.requestId, message.key, homeKnown));
    } else if (message.type === "renewRequest") {
      this.node.abandon(message.requestId); // its lines may go in the next walk
    }
  }

  /** Messages that left for `to` in one frame: a request remembers the home it went to. */
  #sent(to: string, carried: readonly CacheMessage[]): void {
    this.stats.framesSent++;
    this.stats.messagesSent += carried.length;
    for (const message of carried) {
      if (message.type !== "readRequest" && message.type !== "exclusiveRequest") continue;
      const parked = this.#parked.get(message.requestId);
      if (parked !== undefined) parked.sentTo = { home: to, slot: message.slot };
    }
  }

  #deliver(to: string, message: HomeToNodeMessage): void {
    const me = this.#options.nodeId;
    if (to === me) {
      queueMicrotask(() => this.#onHomeMessage(message, me));
      return;
    }
    this.#outbox.post(to, message);
  }

  /**
   * A Fence from the new home on node `from`: this node drops the slot's older lines either way,
   * and acknowledges only if it knows no node outside the fence set (one the new home may have
   * missed); otherwise that home waits for the old leases to lapse.
   */
  #onFence(from: string, message: FenceMessage): void {
    const nowMs = this.#options.nowMs();
    const vouches = this.#options.memberIds === undefined ||
      this.#membership.covers(message.nodes, nowMs);
    if (vouches) {
      this.stats.fencesAcked++;
      this.node.receive(message, nowMs);
    } else {
      this.stats.fencesNotAcked++;
      this.node.observeEpoch(message.slot, message.epoch, nowMs);
      this.#options.logger.debug("cache fence not acknowledged", {
        slot: message.slot,
        epoch: message.epoch,
        from,
      });
    }
    this.#flushNode(from);
  }

  #onHomeMessage(message: HomeToNodeMessage, from: string): void {
    if (message.type === "fence") return this.#onFence(from, message);
    if (message.type === "refuse" && message.epoch === 0) {
      // Sent by a node that is not the slot's home (leadership moved): ask another.
      this.#unrouted(message.requestId, message.key, true);
      return;
    }
    // The same for a renewal: the node forgets it (nothing renewed); the next walk asks another.
    if (message.type === "renewGrant" && message.epoch === 0) {
      this.#options.homeRefused?.(message.slot);
    }
    const completions = this.node.receive(message, this.#options.nowMs());
    this.#flushNode();
    // A final write-back acknowledged unblocks its key now, not at the next tick.
    if (message.type === "writeBackAck" && this.#keyWaiters.size > 0) {
      this.#wakeKey(keyIdOf(message.key));
    }
    for (const completion of completions) {
      const parked = this.#parked.get(completion.requestId);
      if (parked === undefined) continue;
      this.#parked.delete(completion.requestId);
      parked.settle(completion);
      this.#wakeKey(keyIdOf(parked.key));
    }
  }

  /** Request `requestId` was taken by no home (`sent`: a node refused it as not its home). */
  #unrouted(requestId: number, key: Uint8Array, sent: boolean): void {
    const parked = this.#parked.get(requestId);
    if (parked === undefined || !bytesEqual(parked.key, key)) return;
    this.node.abandon(requestId);
    this.#parked.delete(requestId);
    parked.settle({ requestId, kind: "unrouted", sent });
    this.#wakeKey(keyIdOf(key));
  }
}
