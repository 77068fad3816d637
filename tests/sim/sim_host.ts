import {
  type Entry,
  type Message,
  newRaftConfig,
  type NodeId,
  type RaftConfigInput,
  RaftNode,
  type Ready,
  type SeededRandom,
} from "../../src/raft/mod.ts";
import { joinImage, type SimApp, type SimAppFactory, splitImage } from "./app.ts";
import { FakeStorage } from "./fake_storage.ts";
import { InvariantChecker, InvariantError } from "./invariants.ts";
import { decodeImage, encodeImage, entryText, type SimStateMachine } from "./state_machine.ts";

/** What a host needs from the cluster. */
export interface HostContext {
  /** Virtual now. */
  nowMs(): number;
  /** Shared randomness. */
  random: SeededRandom;
  /** Safety checker. */
  checker: InvariantChecker;
  /** Sends messages over the simulated network. */
  send(messages: Message[]): void;
  /** Asks for the node's next shared fsync (one covers every group's pending writes). */
  requestSync(id: NodeId): void;
  /** Minimum read index for a read id (acknowledged writes when it started). */
  readFloor(requestId: number): number | undefined;
  /** Throws unless `entry`, about to be applied for the first time anywhere, is on disk on a
   * majority of voters (the applying node's view), with or without the leader. */
  checkCommitDurable(id: NodeId, entry: Entry): void;
}

/** Host behaviour knobs. */
export interface HostOptions {
  /** Raft config overrides (id, groupId and random are filled in). */
  raft: Partial<RaftConfigInput>;
  /** Upper bound of the simulated fsync latency. */
  syncDelayMaxMs: number;
  /** Compact once this many entries were applied since the last snapshot (0 = never). */
  compactEveryEntries: number;
  /** Filler bytes in snapshot images. */
  snapshotPaddingBytes: number;
  /** Keep applied payloads for inspection. */
  recordValues: boolean;
  /** Replicated application plugged into every host (its image rides in snapshots), or null. */
  app: SimAppFactory | null;
}

/** One Raft group on a simulated server: a Raft node, its storage and its state machine. */
export class SimHost {
  /** Node id. */
  readonly id: NodeId;
  /** Raft group id. */
  readonly groupId: number;
  /** Live node, or null while crashed. */
  raft: RaftNode | null = null;
  /** Durable storage (survives crashes). */
  readonly storage: FakeStorage;
  /** Bumped on every crash; stale events carry an older value. */
  incarnation = 0;
  /** State machine of the current incarnation. */
  sm: SimStateMachine = { index: 0, hash: 0, values: null };
  /** Application state machine of the current incarnation (null without a factory or crashed). */
  app: SimApp | null = null;
  /** Request ids of reads served (this incarnation). */
  readsServed: number[] = [];
  /** Reads waiting for the state machine to catch up. */
  #waitingReads: { requestId: number; index: number }[] = [];
  #syncing: Ready | null = null;
  #ctx: HostContext;
  #options: HostOptions;

  /** Creates a crashed host with bootstrap storage; call `start`. */
  constructor(
    id: NodeId,
    groupId: number,
    storage: FakeStorage,
    ctx: HostContext,
    options: HostOptions,
  ) {
    this.id = id;
    this.groupId = groupId;
    this.storage = storage;
    this.#ctx = ctx;
    this.#options = options;
  }

  /** (Re)starts from durable storage. */
  start(): void {
    const view = this.storage.view();
    const config = newRaftConfig({
      ...this.#options.raft,
      id: this.id,
      groupId: this.groupId,
      random: this.#ctx.random.fn(),
    });
    this.raft = new RaftNode(config, view);
    const image = decodeImage(this.#startApp(view.snapshot.index, view.snapshot.data));
    this.sm = { index: view.snapshot.index, hash: image.hash, values: null };
    if (this.#options.recordValues && view.snapshot.index === 0) this.sm.values = [];
    this.#waitingReads = [];
    this.#syncing = null;
  }

  /** Power loss: the core vanishes (the cluster crashes the node's shared disk). */
  crash(): void {
    this.raft = null;
    this.app = null;
    this.incarnation++;
    this.#syncing = null;
  }

  /** Takes a Ready if possible and starts persisting it. */
  pump(): void {
    const raft = this.raft;
    if (raft === null || this.#syncing !== null || !raft.hasReady()) return;
    const ready = raft.ready();
    this.#ctx.send(ready.messagesNow);
    this.storage.write(ready);
    this.#syncing = ready;
    this.#ctx.requestSync(this.id);
  }

  /** The node's shared fsync finished (the cluster synced the disk): send, apply, advance. */
  onSynced(): void {
    const raft = this.raft;
    const ready = this.#syncing;
    if (raft === null || ready === null) return;
    for (const entry of ready.entries) {
      this.#ctx.checker.onPersist(this.id, entry, this.storage.termBefore(entry.index));
    }
    this.#ctx.send(ready.messages);
    if (ready.snapshot !== null) this.#restore(ready.snapshot.index, ready.snapshot.data);
    for (const entry of ready.committedEntries) {
      if (entry.index !== this.sm.index + 1) {
        throw new InvariantError(
          "apply order",
          `${this.id} applied ${entry.index} after ${this.sm.index}`,
        );
      }
      if (entry.index > this.#ctx.checker.maxAppliedIndex) {
        this.#ctx.checkCommitDurable(this.id, entry);
      }
      this.sm.hash = this.#ctx.checker.onApply(this.id, entry, this.sm.hash);
      this.sm.index = entry.index;
      if (entry.kind === "normal") this.sm.values?.push(entryText(entry));
      this.app?.apply(entry);
    }
    for (const read of ready.readStates) this.#waitingReads.push(read);
    const appliedBefore = raft.appliedIndex;
    raft.advance(ready);
    if (raft.appliedIndex < appliedBefore) {
      throw new InvariantError("applied monotonic", `${this.id} applied went backwards`);
    }
    this.#syncing = null;
    this.#serveReads();
    this.#maybeCompact(raft);
  }

  /** Creates the app from the app part of `data`; returns the host's own part of the image. */
  #startApp(index: number, data: Uint8Array): Uint8Array {
    const factory = this.#options.app;
    if (factory === null) return data;
    const { base, app } = splitImage(data);
    this.app = factory.create(this.id, index, app);
    return base;
  }

  #restore(index: number, data: Uint8Array): void {
    const image = decodeImage(this.#startApp(index, data));
    if (image.index !== index) {
      throw new InvariantError("snapshot safety", `${this.id} image ${image.index} != ${index}`);
    }
    this.#ctx.checker.onSnapshotRestore(this.id, index, image.hash);
    this.sm = { index, hash: image.hash, values: null };
  }

  #serveReads(): void {
    const still: { requestId: number; index: number }[] = [];
    for (const read of this.#waitingReads) {
      if (read.index > this.sm.index) {
        still.push(read);
        continue;
      }
      this.readsServed.push(read.requestId);
      const floor = this.#ctx.readFloor(read.requestId);
      if (floor !== undefined) this.#ctx.checker.onRead(this.id, read.requestId, read.index, floor);
    }
    this.#waitingReads = still;
  }

  #maybeCompact(raft: RaftNode): void {
    const every = this.#options.compactEveryEntries;
    if (every === 0) return;
    const snapshotIndex = raft.snapshotIndex;
    if (this.sm.index - snapshotIndex < every || raft.appliedIndex !== this.sm.index) return;
    let image = encodeImage(this.sm, this.#options.snapshotPaddingBytes);
    if (this.app !== null) image = joinImage(image, this.app.snapshot());
    this.storage.compact(raft.compact(this.sm.index, image));
  }
}
