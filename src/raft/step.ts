import { assert } from "../util/assert.ts";
import {
  handleTimeoutNow,
  handleVoteRequest,
  handleVoteResponse,
  leaseRefuses,
} from "./election.ts";
import { handleAppend, handleHeartbeat } from "./follower.ts";
import { handleReadIndexRequest, handleReadIndexResponse } from "./read_index.ts";
import { wake } from "./quiesce.ts";
import {
  broadcastHeartbeat,
  handleAppendResponse,
  handleHeartbeatResponse,
} from "./replication.ts";
import { peerIsMember, peerNotMember, reportsNotMember } from "./lost_state.ts";
import { handleSnapshotChunk, handleSnapshotResponse } from "./snapshot_transfer.ts";
import { becomeFollower, type RaftState, send } from "./state.ts";
import type { Message } from "./types.ts";

/** Feeds one received message to the state machine. Throws an Error on misrouted input. */
export function step(s: RaftState, m: Message): void {
  if (m.groupId !== s.config.groupId) {
    throw new Error(`Cannot step message: group ${m.groupId} is not group ${s.config.groupId}`);
  }
  if (m.to !== s.config.id) {
    throw new Error(`Cannot step message: addressed to ${m.to}, this node is ${s.config.id}`);
  }
  if (m.from === s.config.id) return;
  // Any peer message but a heartbeat answer wakes a leader (e.g. a PreVote from a follower that
  // missed the quiesce notices): it heartbeats again at once.
  if (s.role === "leader" && m.type !== "heartbeatResponse" && wake(s)) broadcastHeartbeat(s);
  if (!stepTerm(s, m)) return;
  if (m.type === "preVote" || m.type === "vote") {
    handleVoteRequest(s, m);
    return;
  }
  switch (s.role) {
    case "leader":
      stepLeader(s, m);
      return;
    case "candidate":
    case "preCandidate":
      stepCandidate(s, m);
      return;
    case "follower":
      stepFollower(s, m);
      return;
  }
}

/** Term rules common to all roles; returns false when the message must be dropped. */
function stepTerm(s: RaftState, m: Message): boolean {
  const isVoteRequest = m.type === "preVote" || m.type === "vote";
  if (m.term > s.term) {
    if (isVoteRequest && s.config.checkQuorum && leaseRefuses(s, m)) {
      return false; // A live leader's lease: ignore disruptive candidates.
    }
    if (m.type === "preVote" || (m.type === "preVoteResponse" && !m.reject)) return true;
    const fromLeader = m.type === "append" || m.type === "heartbeat" || m.type === "snapshot" ||
      m.type === "quiesce";
    becomeFollower(s, m.term, fromLeader ? m.from : null);
    return true;
  }
  if (m.term < s.term) {
    if (
      (s.config.checkQuorum || s.config.preVote) &&
      (m.type === "append" || m.type === "heartbeat" || m.type === "quiesce")
    ) {
      // Tell a stale leader about the newer term so it steps down.
      send(s, { type: "appendResponse", to: m.from });
    } else if (m.type === "preVote") {
      send(s, { type: "preVoteResponse", to: m.from, reject: true });
    }
    return false;
  }
  return true;
}

function stepLeader(s: RaftState, m: Message): void {
  const pr = s.progress.get(m.from);
  if (pr !== undefined && m.type === "snapshotResponse") pr.answeredSinceConnect = true;
  if (pr !== undefined && (m.type === "appendResponse" || m.type === "heartbeatResponse")) {
    pr.answeredSinceConnect = true;
    if (!reportsNotMember(m)) peerIsMember(pr);
    else if (peerNotMember(s, pr)) return;
  }
  switch (m.type) {
    case "appendResponse":
      if (pr !== undefined) handleAppendResponse(s, pr, m);
      return;
    case "heartbeatResponse":
      if (pr !== undefined) handleHeartbeatResponse(s, pr, m);
      return;
    case "snapshotResponse":
      if (pr !== undefined) handleSnapshotResponse(s, pr, m);
      return;
    case "readIndex":
      handleReadIndexRequest(s, m);
      return;
    case "append":
    case "heartbeat":
    case "quiesce":
    case "snapshot":
      assert(false, `two leaders in term ${s.term}: ${s.config.id} and ${m.from}`);
      return;
    default:
      return;
  }
}

function stepCandidate(s: RaftState, m: Message): void {
  switch (m.type) {
    case "append":
    case "heartbeat":
    case "quiesce":
    case "snapshot":
      becomeFollower(s, s.term, m.from);
      stepFollower(s, m);
      return;
    case "preVoteResponse":
    case "voteResponse":
      handleVoteResponse(s, m);
      return;
    default:
      return;
  }
}

function stepFollower(s: RaftState, m: Message): void {
  switch (m.type) {
    case "append":
    case "heartbeat":
    case "quiesce":
    case "snapshot":
      s.electionElapsedTicks = 0;
      s.leaderId = m.from;
      if (m.type !== "quiesce" && m.from === s.unreachableLeader) s.unreachableLeader = null;
      s.quiet = m.type === "quiesce" && m.from !== s.unreachableLeader;
      // A full disk cannot take entries: unanswered, the leader backs off to one probe per
      // heartbeat until the host says the disk has room again.
      if (s.diskFull && (m.type === "snapshot" || m.entries.length > 0)) return;
      if (m.type === "append") handleAppend(s, m);
      else if (m.type === "heartbeat" || m.type === "quiesce") handleHeartbeat(s, m);
      else handleSnapshotChunk(s, m);
      return;
    case "timeoutNow":
      handleTimeoutNow(s);
      return;
    case "readIndexResponse":
      handleReadIndexResponse(s, m);
      return;
    default:
      return;
  }
}
