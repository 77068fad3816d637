import {
  type ConfChange,
  encodeConfState,
  type Entry,
  type HardState,
  type Message,
  newRaftConfig,
  type RaftConfigInput,
  RaftNode,
  type RaftResult,
  type RaftStatus,
  type ReadState,
  type Ready,
} from "../raft/mod.ts";
import { assert } from "../util/assert.ts";
import { isNoSpaceError, type RaftLogStore } from "../storage/mod.ts";
import type { Logger } from "../log/logger.ts";
import { ClusterError, noLeaderError, noSpaceError } from "./cluster_error.ts";
import { loadStorageView, seedIfPristine, toRecord, toStoredHardState } from "./wal_bridge.ts";
import { type HostClock, SYSTEM_CLOCK } from "./host_clock.ts";
import { PendingRequests } from "./pending_requests.ts";
import { nextReadId, randomReadIdStart, READ_ID_MAX } from "./read_ids.ts";

/** The state machine a Raft group drives (pure; the host calls it in log order). */
export interface ReplicatedStateMachine<R = string | null> {
  /** Applies a committed normal entry; the result resolves the matching proposal. */
  apply(index: number, data: Uint8Array): R;
  /** Notes a committed config or no-op entry. */
  skip(index: number): void;
  /** The whole state as bytes. */
  snapshot(): Uint8Array;
  /**
   * snapshot() in steps (optional; large states): each yield is the count of items encoded since
   * the previous one, at most `itemsPerStep`. The host applies nothing until it returns.
   */
  snapshotSteps?(itemsPerStep: number): Iterator<number, Uint8Array, void>;
  /**
   * restore() in steps (optional; large images): yields item counts of about `itemsPerStep`.
   * The host applies nothing until it ends.
   */
  restoreSteps?(image: Uint8Array, itemsPerStep: number): Iterator<number, void, void>;
  /** Replaces the state with a snapshot image. */
  restore(image: Uint8Array): void;
}

/** Longest run of Readys handled back to back before the drive yields to the event loop, ms. */
const DRIVE_SLICE_MS = 10;

/** A WAL sync longer than this is logged at WARN: the group's heartbeats waited for it. */
const SLOW_SYNC_WARN_MS = 250;
/** At most one slow-sync line per group per this many ms. */
const SLOW_SYNC_WARN_INTERVAL_MS = 5_000;

/** Items (locks, holders, waiters) a snapshot encoder handles between two looks at the clock. */
export const SNAPSHOT_ITEMS_PER_STEP = 1_024;

/** What the host's last compaction did (tests, DEBUG). */
export interface CompactionFigures {
  /** Index of the snapshot. */
  index: number;
  /** Event-loop turns its encoding took (1: encoded at once). */
  slices: number;
  /** Items the machine reported encoding (0: no snapshotSteps). */
  items: number;
}

/** Idle leader ticks after which a hosted group goes quiet unless `raft.quiesceAfterTicks` says. */
export const QUIESCE_AFTER_TICKS_DEFAULT = 20;

/** Settings of one hosted Raft group. */
export interface RaftHostOptions<R = string | null> {
  nodeId: string;
  groupId: number;
  bootstrap: { voters: string[]; learners: string[] };
  /** The group's durable log (its view of the node log). */
  wal: RaftLogStore;
  machine: ReplicatedStateMachine<R>;
  /** Hands a message to the transport; false when it could not be queued. */
  send: (message: Message) => boolean;
  /** True while this node can reach a majority (decides NOQUORUM vs TRYAGAIN). */
  quorumReachable: () => boolean;
  logger: Logger;
  random: () => number;
  raft?: Partial<Omit<RaftConfigInput, "id" | "groupId" | "random">>;
  /** Applied entries after which the log is compacted into a snapshot. */
  snapshotEntriesMax: number;
  /** Longest wait for a proposal, read or transfer before TIMEOUT. */
  requestTimeoutMs: number;
  /** First read id of this process (tests); random by default, see read_ids.ts. */
  readIdStart?: number;
  /** True while the node log says the disk is full (default: never). */
  diskFull?: () => boolean;
  /** Clock and timers of request deadlines and waits; the process clock by default. */
  clock?: HostClock;
  /**
   * A restored node's image of this group (`dsync restore`): saved as the group's snapshot at
   * `index` (term 0) when the group's log is still empty, so every replica restored from the
   * same backup starts from the same state; ignored once the group has any history.
   */
  seed?: { index: number; image: Uint8Array };
}

/** How often `transferLeadership` looks whether the target leads yet. */
const TRANSFER_POLL_MS = 10;

/**
 * Drives one pure RaftNode: persists each Ready to the WAL (fdatasync, group commit) before
 * sending its messages, applies committed entries, answers proposals and reads, compacts.
 */
export class RaftHost<R = string | null> {
  readonly #options: RaftHostOptions<R>;
  readonly #raft: RaftNode;
  readonly #logger: Logger;
  readonly #clock: HostClock;
  readonly #proposals: PendingRequests<R | null>;
  readonly #reads: PendingRequests<void>;
  /** Linearizable reads confirmed by the leader, waiting for the apply index. */
  #readsWaitingApply: Array<{ requestId: number; index: number }> = [];
  /** Pending reads by id: the node asked to confirm each (this node when it led). */
  readonly #readsAsked = new Map<number, string>();
  #nextReadId: number;
  #driving = false;
  /** Whether tick() ran once (the first one lets a sole voter campaign at once). */
  #ticked = false;
  #driveAgain = false;
  /** The hard state last handed to the log or held back (term and vote are always written). */
  #writtenHardState: HardState;
  /** A hard state whose only change is the commit index, not yet written (see #handle). */
  #heldHardState: HardState | null = null;
  #snapshotIndex: number;
  #closed = false;
  /** The disk state last handed to the core. */
  #diskFull = false;
  /** Proposals refused because the disk is full. */
  #noSpaceRefusals = 0;
  /** Leadership transfers started because the disk is full (rotates the target). */
  #handOffCount = 0;
  /** No snapshot is tried again before this applied index (a save found the disk full). */
  #compactRetryIndex = 0;
  /** Longest wait for a WAL sync in the drive, ms (only grows). */
  slowSyncMaxMs = 0;
  #slowSyncWarnedAtMs = -Infinity;
  /** The last compaction's figures; null before the first. */
  lastCompaction: CompactionFigures | null = null;
  /** The last received snapshot's restore, as figures; null before the first stepped one. */
  lastRestore: CompactionFigures | null = null;
  /** Called after each batch of applied entries (membership may have changed). */
  onApplied: () => void = () => {};
  /** Called on anything that may wake a quiet group (tick, message, request, peer down). */
  onWake: () => void = () => {};
  /**
   * Called when this node learns of a leader other than the last one it knew (itself included);
   * never for "no leader known" (an election in progress does not depose anyone yet).
   */
  onLeaderKnown: (leaderId: string) => void = () => {};
  /**
   * Called when this node leads the group and a message comes from `from`, which the committed
   * membership at `configIndex` does not list (a removed member that never learned it: it keeps
   * campaigning). The slot groups answer with GroupLeft.
   */
  onNonMember: (from: string, configIndex: number) => void = () => {};
  /** The leader last reported to `onLeaderKnown`. */
  #knownLeaderId: string | null = null;

  private constructor(
    options: RaftHostOptions<R>,
    raft: RaftNode,
    snapshotIndex: number,
    hardState: HardState,
  ) {
    this.#options = options;
    this.#raft = raft;
    this.#writtenHardState = hardState;
    this.#logger = options.logger.with({ component: "raft", group: options.groupId });
    this.#snapshotIndex = snapshotIndex;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#proposals = new PendingRequests(options.requestTimeoutMs, this.#clock);
    this.#reads = new PendingRequests(options.requestTimeoutMs, this.#clock);
    const readIdStart = options.readIdStart ?? randomReadIdStart();
    if (!Number.isSafeInteger(readIdStart) || readIdStart < 0) {
      throw new RangeError(
        `Cannot host group: read id start ${readIdStart} is not in 0..${READ_ID_MAX}`,
      );
    }
    this.#nextReadId = readIdStart;
  }

  /** Restores the group from the WAL and the state machine from the latest snapshot. */
  static async open<R>(options: RaftHostOptions<R>): Promise<RaftHost<R>> {
    if (options.seed !== undefined) {
      await seedIfPristine(options.wal, options.bootstrap, options.seed);
    }
    const view = await loadStorageView(options.wal, options.bootstrap);
    options.machine.restore(view.snapshot.data);
    const raft = new RaftNode(
      newRaftConfig({
        quiesceAfterTicks: QUIESCE_AFTER_TICKS_DEFAULT,
        ...options.raft,
        id: options.nodeId,
        groupId: options.groupId,
        random: options.random,
      }),
      view,
    );
    return new RaftHost(options, raft, view.snapshot.index, view.hardState);
  }

  /** True while the core is quiet and nothing is being driven: ticking it would do nothing. */
  get quiet(): boolean {
    return this.#raft.quiet && !this.#driving && !this.#closed;
  }

  /** True while this node leads the group. */
  get leading(): boolean {
    return this.#raft.role === "leader";
  }

  /** Proposals refused because this node's disk is full. */
  get noSpaceRefusals(): number {
    return this.#noSpaceRefusals;
  }

  /** The leader this node knows of, or null (without building a whole status). */
  get leaderId(): string | null {
    return this.#raft.leaderId;
  }

  /** The pure core, for the simulator's checks and scripted steps (then call `wake()`). */
  get core(): RaftNode {
    return this.#raft;
  }

  /** Drives whatever the core produced since the last drive (after a step on `core`). */
  wake(): void {
    this.#schedule();
  }

  /** Advances logical time by one tick. */
  tick(): void {
    this.#syncDiskState();
    if (this.#diskFull) this.#handOff();
    if (!this.#ticked) {
      this.#ticked = true;
      // A sole voter has nobody to wait for: it campaigns at once, not after an election
      // timeout (a one-node restart holding a large table answers sooner).
      const { voters } = this.#raft.status().confState;
      if (voters.length === 1 && voters[0] === this.#options.nodeId) this.#raft.campaign();
    }
    this.#raft.tick();
    this.#noteLeader();
    // A quiet core's tick does nothing; scheduling a drive for it would keep the group active.
    if (this.#driving || this.#raft.hasReady()) this.#schedule();
  }

  /** Feeds a message from a peer. */
  receive(message: Message): void {
    this.#syncDiskState();
    if (this.#raft.role === "leader") {
      const configIndex = this.#raft.committedRemovalOf(message.from);
      if (configIndex !== null) this.onNonMember(message.from, configIndex);
    }
    this.#raft.step(message);
    this.#noteLeader();
    this.#schedule();
  }

  /** The connection to `peerId` closed; a follower of it campaigns soon. */
  leaderUnreachable(peerId: string): void {
    this.#raft.leaderUnreachable(peerId);
    this.#noteLeader();
    this.#schedule();
  }

  /** Reports a newly known leader (see `onLeaderKnown`); a comparison when nothing changed. */
  #noteLeader(): void {
    const leaderId = this.#raft.leaderId;
    if (leaderId === null || leaderId === this.#knownLeaderId) return;
    this.#knownLeaderId = leaderId;
    this.onLeaderKnown(leaderId);
  }

  /** `peerId` connected: a quiet leader of a group it is in heartbeats it again (RaftNode). */
  peerConnected(peerId: string): void {
    if (this.#raft.peerConnected(peerId)) this.#schedule();
  }

  /** This node is no member of the group: tell `to` so (RaftNode.announceNotMember). */
  announceNotMember(to: readonly string[]): void {
    if (this.#raft.announceNotMember(to)) this.#schedule();
  }

  /** The transport could not take a message for `peerId`: the leader falls back to probing. */
  reportUnreachable(peerId: string): void {
    this.#raft.reportUnreachable(peerId);
  }

  /** The core's status (role, term, leader, indexes, membership, progress). */
  status(): RaftStatus {
    return this.#raft.status();
  }

  /** Proposes `data`; resolves with the state machine's answer once applied. */
  propose(data: Uint8Array): Promise<R | null> {
    this.#syncDiskState();
    return this.#track(this.#raft.propose(data));
  }

  /** Proposes a membership change; resolves with its log index once applied. */
  async proposeConfChange(change: ConfChange): Promise<number> {
    this.#syncDiskState();
    const result = this.#raft.proposeConfChange(change);
    await this.#track(result);
    return result.ok ? result.index : 0;
  }

  /**
   * The state machine's whole image now and the applied index it reflects (at least). After a
   * `readBarrier()` it holds every write acknowledged before the barrier started.
   */
  snapshotImage(): { appliedIndex: number; image: Uint8Array } {
    return { appliedIndex: this.#raft.appliedIndex, image: this.#options.machine.snapshot() };
  }

  /** Resolves when a linearizable read may be served from the local state machine. */
  readBarrier(): Promise<void> {
    const requestId = this.#nextReadId;
    this.#nextReadId = nextReadId(requestId);
    const result = this.#raft.readIndex(requestId);
    if (!result.ok) return Promise.reject(this.#refusal(result));
    const asked = this.#raft.leaderId;
    assert(asked !== null, "a read was accepted without a known leader");
    this.#readsAsked.set(requestId, asked);
    this.#schedule();
    return this.#reads.add(requestId, 0, "read").finally(() => this.#readsAsked.delete(requestId));
  }

  /** Asks the leader to hand over to `to`; resolves once `to` leads. */
  async transferLeadership(to: string): Promise<void> {
    const result = this.#raft.transferLeadership(to);
    if (!result.ok) throw this.#refusal(result);
    this.#schedule();
    const clock = this.#clock;
    const deadline = clock.nowMs() + this.#options.requestTimeoutMs;
    while (this.#raft.status().leaderId !== to) {
      if (clock.nowMs() > deadline || this.#closed) {
        throw new ClusterError("TIMEOUT", `leadership did not move to ${to} in time`);
      }
      await new Promise<void>((resolve) => clock.setTimer(resolve, TRANSFER_POLL_MS));
    }
  }

  /** Stops answering; pending requests fail with TIMEOUT (they may still commit elsewhere). */
  close(): void {
    this.#closed = true;
    const error = new ClusterError("TIMEOUT", "node is shutting down; the outcome is unknown");
    this.#proposals.rejectAll(error);
    this.#reads.rejectAll(error);
  }

  #track(result: RaftResult): Promise<R | null> {
    if (!result.ok) return Promise.reject(this.#refusal(result));
    this.#schedule();
    return this.#proposals.add(result.index, this.#raft.term, "proposal");
  }

  /** Maps a core refusal to the contract's error codes. */
  #refusal(result: Extract<RaftResult, { ok: false }>): ClusterError {
    switch (result.reason) {
      case "notLeader":
        return noLeaderError(this.#options.quorumReachable());
      case "entryTooLarge":
      case "tooManyUncommitted":
        // Overload: the leader sheds writes beyond its uncommitted bound (not a leadership
        // change, so not TRYAGAIN).
        return new ClusterError("LIMIT", result.message);
      case "diskFull":
        this.#noSpaceRefusals += 1;
        if (this.#raft.role === "leader") this.#handOff();
        return noSpaceError();
      case "invalidConfChange":
      case "notVoter":
        return new ClusterError("ERR", result.message);
      default:
        return new ClusterError("TRYAGAIN", result.message);
    }
  }

  /** Hands the node log's disk state to the core when it changed. */
  #syncDiskState(): void {
    const full = this.#options.diskFull?.() ?? false;
    if (full === this.#diskFull) return;
    this.#diskFull = full;
    this.#raft.setDiskFull(full);
    this.#logger.warn(
      full
        ? "disk full: refusing writes, handing leadership to a node that can write"
        : "disk has space again: taking writes",
    );
    if (full) this.#handOff();
    this.#schedule();
  }

  /**
   * Leader with a full disk: starts a transfer to the most up-to-date other voter (rotating
   * among equals on each attempt) unless one is running; the core drops a transfer that did
   * not finish within an election timeout, and the next tick starts another. A sole voter
   * keeps leading: it still serves reads.
   */
  #handOff(): void {
    if (this.#raft.role !== "leader") return;
    const status = this.#raft.status();
    if (status.role !== "leader" || status.leadTransferee !== null) return;
    const voters = new Set(status.confState.voters);
    const candidates = status.progress
      .filter((progress) => progress.id !== this.#options.nodeId && voters.has(progress.id))
      .sort((a, b) => b.matchIndex - a.matchIndex || (a.id < b.id ? -1 : 1));
    if (candidates.length === 0) return;
    const best = candidates.filter((progress) => progress.matchIndex === candidates[0]!.matchIndex);
    const target = best[this.#handOffCount % best.length]!.id;
    this.#handOffCount += 1;
    const result = this.#raft.transferLeadership(target);
    if (!result.ok) return;
    this.#logger.info("disk full: transferring leadership", { to: target });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.onWake();
    if (this.#driving) {
      this.#driveAgain = true;
      // The drive may be waiting for a WAL sync (over a second on a busy disk): heartbeats and
      // their answers leave now rather than with the next Ready, or a slow disk costs leadership.
      this.#send(this.#raft.takeHeartbeats());
      return;
    }
    this.#driving = true;
    queueMicrotask(() => void this.#drive());
  }

  async #drive(): Promise<void> {
    try {
      do {
        this.#driveAgain = false;
        let sliceStartMs = this.#clock.nowMs();
        while (this.#raft.hasReady() && !this.#closed) {
          await this.#handle(this.#raft.ready());
          // Applying a long run of committed entries (a restart, a storm's commits) yields to
          // the event loop between Readys once a slice is spent, so heartbeats and ticks run.
          if (this.#clock.nowMs() - sliceStartMs > DRIVE_SLICE_MS) {
            await this.#yieldTurn();
            sliceStartMs = this.#clock.nowMs();
          }
        }
        // A closed host writes nothing more (a drive queued just before close() ends here).
        if (!this.#closed) await this.#maybeCompact();
      } while (this.#driveAgain && !this.#closed);
    } catch (error) {
      this.#logger.error("raft host failed; stopping the group", {
        error: error instanceof Error ? error.message : String(error),
      });
      this.close();
    } finally {
      this.#driving = false;
    }
  }

  /**
   * The Ready contract: send what needs nothing durable (a leader's appends go out while its own
   * fsync runs), persist, then send the rest, apply, advance.
   */
  async #handle(ready: Ready): Promise<void> {
    const { wal, machine } = this.#options;
    this.#send(ready.messagesNow);
    if (ready.snapshot !== null) {
      const snapshot = ready.snapshot;
      await wal.saveSnapshot(
        { index: snapshot.index, term: snapshot.term, config: encodeConfState(snapshot.confState) },
        snapshot.data,
      );
      if (machine.restoreSteps === undefined) {
        machine.restore(snapshot.data);
      } else {
        const restored = await this.#inSlices(
          machine.restoreSteps(snapshot.data, SNAPSHOT_ITEMS_PER_STEP),
        );
        this.lastRestore = {
          index: snapshot.index,
          slices: restored.slices,
          items: restored.items,
        };
        if (this.#closed) return;
      }
      this.#snapshotIndex = snapshot.index;
      this.#proposals.rejectUpTo(
        snapshot.index,
        new ClusterError("TIMEOUT", "replaced by a snapshot; the outcome is unknown"),
      );
    }
    const committed = ready.committedEntries;
    let appliedCount = 0;
    if (ready.entries.length > 0 || ready.hardState !== null) {
      if (this.#mustSync(ready)) {
        // A commit index held back rides with this write (the Ready's own hard state is newer).
        const hardState = ready.hardState ?? this.#heldHardState;
        this.#heldHardState = null;
        const written = wal.append({
          entries: ready.entries.map(toRecord),
          ...(hardState === null ? {} : { hardState: toStoredHardState(hardState) }),
        });
        // Committed entries below this Ready's new ones are durable here already (every earlier
        // write was awaited): they are applied while this write syncs, so their proposals are
        // answered without waiting for the sync of entries proposed after them.
        appliedCount = durablePrefix(committed, ready.entries[0]?.index ?? Infinity);
        this.#apply(committed, 0, appliedCount);
        const syncStartMs = this.#clock.nowMs();
        await written;
        this.#noteSlowSync(this.#clock.nowMs() - syncStartMs, ready.entries.length);
      } else {
        // Only the commit index moved: nothing sent or applied vouches for it (a restart learns
        // it again from the leader or by committing in a new term), so it is not written on its
        // own (a write costs an fdatasync that the next entry would queue behind) but held for
        // the next write of entries, term or vote.
        this.#heldHardState = ready.hardState;
      }
      if (ready.hardState !== null) this.#writtenHardState = ready.hardState;
    }
    this.#send(ready.messages);
    this.#apply(committed, appliedCount, committed.length);
    for (const read of ready.readStates) this.#acceptRead(read);
    this.#raft.advance(ready);
    this.#serveReads();
    if (ready.committedEntries.length > 0 || ready.snapshot !== null) this.onApplied();
  }

  /**
   * Whether the Ready's writes must be durable before anything else happens: new entries, or a
   * new term or vote (votes and acknowledgements vouch for them), as etcd-raft's MustSync says.
   */
  #mustSync(ready: Ready): boolean {
    if (ready.entries.length > 0) return true;
    const next = ready.hardState;
    const written = this.#writtenHardState;
    return next !== null && (next.term !== written.term || next.votedFor !== written.votedFor);
  }

  #send(messages: Message[]): void {
    for (const message of messages) {
      if (!this.#options.send(message)) this.#raft.reportUnreachable(message.to);
    }
  }

  /** Applies `entries[from..to)` in order and settles their proposals. */
  #apply(entries: Entry[], from: number, to: number): void {
    const machine = this.#options.machine;
    for (let i = from; i < to; i++) {
      const entry = entries[i]!;
      const result = entry.kind === "normal" ? machine.apply(entry.index, entry.data) : null;
      if (entry.kind !== "normal") machine.skip(entry.index);
      this.#proposals.settle(entry.index, entry.term, result);
    }
  }

  /** Keeps a confirmed read only if it is a pending read of this process, from the node asked. */
  #acceptRead(read: ReadState): void {
    const asked = this.#readsAsked.get(read.requestId);
    if (asked === read.from) {
      this.#readsWaitingApply.push(read);
      return;
    }
    // A late confirmation of a read that timed out is expected now and then; one for a read
    // that another node was asked for is not.
    const fields = { read: read.requestId, from: read.from, asked: asked ?? "nobody" };
    if (asked === undefined) {
      this.#logger.debug("dropped a confirmation of no pending read", fields);
    } else {
      this.#logger.warn("dropped a read confirmation from a node not asked", fields);
    }
  }

  #serveReads(): void {
    const applied = this.#raft.appliedIndex;
    const ready = this.#readsWaitingApply.filter((read) => read.index <= applied);
    if (ready.length === 0) return;
    this.#readsWaitingApply = this.#readsWaitingApply.filter((read) => read.index > applied);
    for (const read of ready) this.#reads.settle(read.requestId, 0, undefined);
  }

  /**
   * Logs a WAL sync that held this group's Readys (and so its heartbeats as leader) for longer
   * than SLOW_SYNC_WARN_MS, at most once per SLOW_SYNC_WARN_INTERVAL_MS.
   */
  #noteSlowSync(syncMs: number, entries: number): void {
    if (syncMs > this.slowSyncMaxMs) this.slowSyncMaxMs = syncMs;
    if (syncMs <= SLOW_SYNC_WARN_MS) return;
    const nowMs = this.#clock.nowMs();
    if (nowMs - this.#slowSyncWarnedAtMs < SLOW_SYNC_WARN_INTERVAL_MS) return;
    this.#slowSyncWarnedAtMs = nowMs;
    this.#logger.warn("a log sync held the group's Readys", {
      syncMs: Math.round(syncMs),
      entries,
      leading: this.leading,
    });
  }

  /** Lets the event loop run (timers, peer reads) before the drive goes on. */
  #yieldTurn(): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimer(() => resolve(), 0));
  }

  async #maybeCompact(): Promise<void> {
    const applied = this.#raft.appliedIndex;
    if (applied - this.#snapshotIndex < this.#options.snapshotEntriesMax) return;
    // A snapshot needs room for a whole new file: not while the disk is full.
    if (this.#diskFull || applied < this.#compactRetryIndex) return;
    const encoded = await this.#encodeSnapshot();
    if (this.#closed) return;
    assert(this.#raft.appliedIndex === applied, "entries were applied during a snapshot");
    const snapshot = this.#raft.compact(applied, encoded.image);
    try {
      await this.#options.wal.saveSnapshot(
        { index: snapshot.index, term: snapshot.term, config: encodeConfState(snapshot.confState) },
        snapshot.data,
      );
    } catch (error) {
      if (!isNoSpaceError(error)) throw error;
      // The log keeps every entry the core dropped, so a later save covers them.
      this.#compactRetryIndex = applied + Math.ceil(this.#options.snapshotEntriesMax / 4);
      this.#logger.warn("snapshot deferred: the disk is full", { index: snapshot.index });
      return;
    }
    this.#snapshotIndex = snapshot.index;
    this.lastCompaction = { index: snapshot.index, slices: encoded.slices, items: encoded.items };
    this.#logger.info("log compacted into a snapshot", { ...this.lastCompaction });
  }

  /**
   * The machine's image, encoded in steps when it can (#inSlices). Nothing is applied meanwhile:
   * this runs inside the drive, which handles no Ready until it returns.
   */
  async #encodeSnapshot(): Promise<{ image: Uint8Array; slices: number; items: number }> {
    const machine = this.#options.machine;
    if (machine.snapshotSteps === undefined) {
      return { image: machine.snapshot(), slices: 1, items: 0 };
    }
    const encoded = await this.#inSlices(machine.snapshotSteps(SNAPSHOT_ITEMS_PER_STEP));
    return { image: encoded.value, slices: encoded.slices, items: encoded.items };
  }

  /**
   * Runs `steps` to the end, giving the event loop a turn once a slice of DRIVE_SLICE_MS is spent
   * (heartbeats received, peers' frames read, clients served), so encoding or decoding a table of
   * 100,000 locks does not hold the loop for the whole of it.
   */
  async #inSlices<T>(
    steps: Iterator<number, T, void>,
  ): Promise<{ value: T; slices: number; items: number }> {
    let slices = 1;
    let items = 0;
    let sliceStartMs = this.#clock.nowMs();
    for (;;) {
      const step = steps.next();
      if (step.done === true) return { value: step.value, slices, items };
      items += step.value;
      if (this.#clock.nowMs() - sliceStartMs > DRIVE_SLICE_MS) {
        await this.#yieldTurn();
        slices++;
        sliceStartMs = this.#clock.nowMs();
      }
    }
  }
}

/** How many of `committed` (in index order) lie below `firstNewIndex`, the Ready's first new entry. */
function durablePrefix(committed: Entry[], firstNewIndex: number): number {
  let count = 0;
  while (count < committed.length && committed[count]!.index < firstNewIndex) count++;
  return count;
}
