import { Inflights } from "./inflights.ts";
import type { NodeId, ProgressStatus } from "./types.ts";

/** Flow-control state of one follower: probing for a match, streaming, or receiving a snapshot. */
export type ProgressState = "probe" | "replicate" | "snapshot";

/** The leader's view of one peer's replication. Invariant: matchIndex < nextIndex. */
export class Progress {
  /** Peer id. */
  readonly id: NodeId;
  /** Highest index known replicated (durable) on the peer. */
  matchIndex = 0;
  /** Next index to send. */
  nextIndex: number;
  /** Flow-control state. */
  state: ProgressState = "probe";
  /** Probe state: an append was sent and no answer arrived yet. */
  probeSent = false;
  /** Heard from the peer since the last CheckQuorum round. */
  recentActive = false;
  /** Snapshot state: index of the snapshot being sent. */
  pendingSnapshotIndex = 0;
  /** Snapshot state: bytes the peer acknowledged. */
  snapshotOffsetBytes = 0;
  /** Highest ReadIndex sequence the peer acknowledged in this term. */
  readAckSeq = 0;
  /** Replicate state: heartbeat answers since matchIndex last advanced (stall detector). */
  heartbeatsSinceAck = 0;
  /**
   * The peer lags until matchIndex reaches this: the leader's no-op when it took the lead, or
   * its last index when the peer lost its state (`forget`).
   */
  catchUpIndex = 0;
  /**
   * The peer said it is no member of its own membership (lost_state.ts): a voter keeps the mark
   * until it is removed, a learner until it answers as a member.
   */
  lostState = false;
  /**
   * False from the host's report that the peer's connection came up (`RaftNode.peerConnected`)
   * until the peer answers: a node back from a crash may have come back empty.
   */
  answeredSinceConnect = true;
  /** True for learners (not counted in quorums). */
  isLearner: boolean;
  /** Appends in flight (replicate state). */
  readonly inflights: Inflights;

  /** Creates progress that will probe from `nextIndex`. */
  constructor(id: NodeId, nextIndex: number, inflightAppendsMax: number, isLearner: boolean) {
    this.id = id;
    this.nextIndex = nextIndex;
    this.isLearner = isLearner;
    this.inflights = new Inflights(inflightAppendsMax);
  }

  /** True when no append should be sent now. */
  isPaused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "replicate") return this.inflights.isFull();
    return true;
  }

  /** Enters probe state: one append at a time from matchIndex + 1. */
  becomeProbe(): void {
    this.state = "probe";
    this.probeSent = false;
    this.nextIndex = this.matchIndex + 1;
    this.inflights.reset();
  }

  /** Enters replicate state: pipelined appends bounded by the inflight window. */
  becomeReplicate(): void {
    this.state = "replicate";
    this.nextIndex = this.matchIndex + 1;
    this.inflights.reset();
  }

  /** Enters snapshot state for the snapshot at `index`. */
  becomeSnapshot(index: number): void {
    this.state = "snapshot";
    this.pendingSnapshotIndex = index;
    this.snapshotOffsetBytes = 0;
    this.inflights.reset();
  }

  /**
   * The peer lost what it acknowledged (its disk was replaced): probe it from the start and count
   * it as lagging until it holds `catchUpIndex`. matchIndex goes down only here.
   */
  forget(catchUpIndex: number): void {
    this.matchIndex = 0;
    this.catchUpIndex = catchUpIndex;
    this.heartbeatsSinceAck = 0;
    this.becomeProbe();
  }

  /** Records an acknowledged index; returns true when matchIndex advanced. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.matchIndex) {
      this.matchIndex = index;
      this.probeSent = false;
      this.heartbeatsSinceAck = 0;
      updated = true;
    }
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    return updated;
  }

  /** Handles a rejection of the append at `rejectedIndex`; false when the rejection is stale. */
  maybeDecrTo(rejectedIndex: number, probeIndex: number): boolean {
    if (this.state === "replicate") {
      if (rejectedIndex <= this.matchIndex) return false;
      this.nextIndex = this.matchIndex + 1;
      return true;
    }
    if (this.nextIndex - 1 !== rejectedIndex) return false;
    this.nextIndex = Math.max(Math.min(rejectedIndex, probeIndex + 1), this.matchIndex + 1);
    this.probeSent = false;
    return true;
  }

  /** A plain snapshot for status reports. */
  toStatus(): ProgressStatus {
    return {
      id: this.id,
      matchIndex: this.matchIndex,
      nextIndex: this.nextIndex,
      state: this.state,
      isLearner: this.isLearner,
      caughtUp: this.matchIndex >= this.catchUpIndex && this.answeredSinceConnect,
      lostState: this.lostState && !this.isLearner,
    };
  }
}
