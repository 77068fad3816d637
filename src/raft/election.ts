import { becomeLeader } from "./leader.ts";
import { voteOutcome } from "./quorum.ts";
import {
  becomeFollower,
  FORCE_ELECTION,
  isPromotable,
  type RaftState,
  resetForTerm,
  send,
} from "./state.ts";
import type { Message } from "./types.ts";

/** Which round an election runs: the non-disruptive PreVote or the real vote. */
export type CampaignKind = "preVote" | "vote";

/** Starts a (pre-)election; `force` bypasses leases (leadership transfer). */
export function campaign(s: RaftState, kind: CampaignKind, force: boolean): void {
  if (!isPromotable(s)) return;
  if (kind === "preVote") {
    resetForTerm(s, s.term);
    s.role = "preCandidate";
  } else {
    resetForTerm(s, s.term + 1);
    s.role = "candidate";
    s.votedFor = s.config.id;
  }
  s.votes.set(s.config.id, true);
  if (countVotes(s, kind)) return;
  const voteTerm = kind === "preVote" ? s.term + 1 : s.term;
  for (const voter of s.confs.active().voters) {
    if (voter === s.config.id) continue;
    send(s, {
      type: kind,
      to: voter,
      term: voteTerm,
      index: s.log.lastIndex(),
      logTerm: s.log.lastTerm(),
      context: force ? FORCE_ELECTION : 0,
    });
  }
}

/** Acts on the current tally; returns true when the round ended. */
function countVotes(s: RaftState, kind: CampaignKind): boolean {
  const outcome = voteOutcome(s.confs.active().voters, s.votes);
  if (outcome === "won") {
    if (kind === "preVote") campaign(s, "vote", false);
    else becomeLeader(s);
    return true;
  }
  if (outcome === "lost") {
    becomeFollower(s, s.term, null);
    return true;
  }
  return false;
}

/**
 * True when a (pre-)vote request `m` must be refused for the lease of the leader this node
 * follows: not for a forced election (a transfer), nor when the candidate is that leader itself
 * (it stepped down, so its lease is over; a quiet follower, whose timer stands still, would
 * otherwise refuse it for good, docs/raft.md "Quiet groups").
 */
export function leaseRefuses(s: RaftState, m: Message): boolean {
  if (m.context === FORCE_ELECTION) return false;
  return inLease(s) && !(s.role !== "leader" && m.from === s.leaderId);
}

/** True while a leader is known and recently heard from (PreVote and lease checks). */
export function inLease(s: RaftState): boolean {
  if (s.role === "leader") return true;
  return (s.leaderId !== null || s.bootLease) &&
    s.electionElapsedTicks < s.config.electionTimeoutTicks;
}

/**
 * Answers a vote or pre-vote request whose term is >= ours. A node that is no member at all
 * (neither voter nor learner) of its own active membership grants nothing: one that lost its
 * state (a wiped disk, a group started empty) may have acknowledged entries it no longer holds,
 * and its vote could elect a leader without them; it votes once a configuration it receives lists
 * it. A learner still votes: the leader may already count it as a voter whose promotion entry has
 * not reached it, and refusing would leave such a group without a leader for good.
 */
export function handleVoteRequest(s: RaftState, m: Message): void {
  const pre = m.type === "preVote";
  let canVote = s.votedFor === m.from ||
    (s.votedFor === null && s.leaderId === null) ||
    (pre && m.term > s.term);
  if (pre && leaseRefuses(s, m)) canVote = false;
  const conf = s.confs.active();
  if (!conf.voters.includes(s.config.id) && !conf.learners.includes(s.config.id)) canVote = false;
  const responseType = pre ? "preVoteResponse" : "voteResponse";
  if (canVote && s.log.isUpToDate(m.index, m.logTerm)) {
    send(s, { type: responseType, to: m.from, term: m.term });
    if (!pre) {
      s.votedFor = m.from;
      s.electionElapsedTicks = 0;
    }
    return;
  }
  send(s, { type: responseType, to: m.from, term: s.term, reject: true });
}

/** Counts a (pre-)vote response on a (pre-)candidate. */
export function handleVoteResponse(s: RaftState, m: Message): void {
  const kind: CampaignKind = m.type === "preVoteResponse" ? "preVote" : "vote";
  if (kind === "preVote" && s.role !== "preCandidate") return;
  if (kind === "vote" && s.role !== "candidate") return;
  if (kind === "preVote" && !m.reject && m.term !== s.term + 1) return;
  s.votes.set(m.from, !m.reject);
  countVotes(s, kind);
}

/** Follower or candidate tick: campaign when the randomized timeout expires. */
export function tickElection(s: RaftState): void {
  if (s.quiet) return; // The leader's node is up and the leader said the group is idle.
  s.electionElapsedTicks++;
  if (s.electionElapsedTicks >= s.config.electionTimeoutTicks) s.bootLease = false;
  if (!isPromotable(s)) return;
  if (s.electionElapsedTicks < s.randomizedElectionTimeoutTicks) return;
  s.electionElapsedTicks = 0;
  campaign(s, s.config.preVote ? "preVote" : "vote", false);
}

/** Follower: a leader asked us to campaign now (leadership transfer). */
export function handleTimeoutNow(s: RaftState): void {
  campaign(s, "vote", true);
}

/**
 * Follower hint from the host: the connection to the current leader `leaderId` closed (the
 * process likely died). The lease ends now and a campaign starts within 1-3 ticks instead of a
 * full election timeout (not with lease reads, see below). Safety does not depend on it: PreVote
 * still needs a majority that has also lost the leader, so a leader that is alive for the others
 * is not disrupted.
 */
export function leaderUnreachable(s: RaftState, leaderId: string): void {
  if (s.role !== "follower" || s.leaderId !== leaderId) return;
  s.quiet = false;
  s.unreachableLeader = leaderId;
  if (!isPromotable(s)) return;
  // With lease reads the leader serves reads until its lease (an election timeout from its last
  // acknowledged round) ends, trusting that no follower votes before then. A host's hint may come
  // from a partition, with the leader alive: campaigning early would let a new leader commit
  // while the old one still serves lease reads. So in that mode the timeout runs its course.
  if (s.config.readOnly === "leaseBased") return;
  s.bootLease = false;
  const ticksLeft = 1 + Math.floor(s.config.random() * 3);
  s.electionElapsedTicks = Math.max(
    s.config.electionTimeoutTicks,
    s.randomizedElectionTimeoutTicks - ticksLeft,
  );
}
