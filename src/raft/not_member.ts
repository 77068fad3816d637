/** The follower side of lost_state.ts: how a node says it is no member of its own membership. */
import type { RaftState } from "./state.ts";

/** appendResponse `context`: the sender is no member of its own active membership. */
export const NOT_MEMBER = 1;

/** True when this node is neither voter nor learner of its own active membership. */
export function isNotMember(s: RaftState): boolean {
  const conf = s.confs.active();
  return !conf.voters.includes(s.config.id) && !conf.learners.includes(s.config.id);
}

/** The `context` of an appendResponse this node sends: NOT_MEMBER or 0. */
export function appendResponseContext(s: RaftState): number {
  return isNotMember(s) ? NOT_MEMBER : 0;
}
