/**
 * Replicas that lost their state (docs/raft.md, "Replicas that lost their state"). A node that
 * holds a group's state is always a voter or learner of its own active membership: a founder
 * bootstraps with it, anyone else became a member through a configuration entry it holds (the
 * `addLearner` committed before it was promoted). A node that is neither started the group empty:
 * new (a learner the leader just added) or wiped. It says so on every append and heartbeat answer,
 * from its durable state, so whichever node leads, even one that restarted since the wipe, learns
 * it at its first exchange. A leader that has such a peer as a voter marks it lost, forgets what
 * the old disk acknowledged and sends it the log from the start; the host removes the lost voter
 * and adds it back as a learner, which makes it a member again.
 */
import { NOT_MEMBER } from "./not_member.ts";
import type { Progress } from "./progress.ts";
import { sendAppend } from "./replication.ts";
import type { RaftState } from "./state.ts";
import type { Message } from "./types.ts";

/** True when `m` (an answer to the leader) says its sender is no member of its own membership. */
export function reportsNotMember(m: Message): boolean {
  if (m.type === "appendResponse") return m.context === NOT_MEMBER;
  return m.type === "heartbeatResponse" && m.reject;
}

/**
 * Leader: peer `pr` answered that it is no member of its own membership. A voter that says so lost
 * its state: mark it (until it is removed, even if replayed configuration entries list it again),
 * forget the index its old disk acknowledged, and probe it from the start so it receives the log
 * again. A learner that says so is new, or lost the entries it had: its index is forgotten the
 * same way, and the mark lasts until it answers as a member. Returns true when the caller must
 * not handle the answer further (a fresh probe was sent).
 */
export function peerNotMember(s: RaftState, pr: Progress): boolean {
  if (pr.id === s.config.id || pr.lostState) return false;
  pr.lostState = true;
  if (pr.matchIndex === 0 && pr.isLearner) return false; // a new learner: nothing to forget
  pr.forget(s.log.lastIndex());
  sendAppend(s, pr, true);
  return true;
}

/** Leader: peer `pr` answered as a member; a learner's mark ends (a voter's lasts). */
export function peerIsMember(pr: Progress): void {
  if (pr.isLearner) pr.lostState = false;
}
