import { appendResponseContext, isNotMember } from "./not_member.ts";
import { noteLogWritten, type RaftState, send } from "./state.ts";
import type { Message } from "./types.ts";

/** Follower: appends the leader's entries after a matching (index, logTerm) or rejects with a hint. */
export function handleAppend(s: RaftState, m: Message): void {
  const log = s.log;
  if (m.index < log.committedIndex) {
    const context = appendResponseContext(s);
    send(s, { type: "appendResponse", to: m.from, index: log.committedIndex, context });
    return;
  }
  const outcome = log.maybeAppend(m.index, m.logTerm, m.entries);
  if (outcome !== null) {
    if (outcome.firstWrittenIndex !== null) noteLogWritten(s, outcome.firstWrittenIndex);
    log.commitTo(Math.min(m.commitIndex, outcome.lastNewIndex));
    const context = appendResponseContext(s);
    send(s, { type: "appendResponse", to: m.from, index: outcome.lastNewIndex, context });
    return;
  }
  // Fast backtracking: point the leader at the last index whose term is <= the probed term.
  const hintIndex = log.findConflictByTerm(Math.min(m.index, log.lastIndex()), m.logTerm);
  send(s, {
    type: "appendResponse",
    to: m.from,
    index: m.index,
    reject: true,
    rejectHint: hintIndex,
    logTerm: log.term(hintIndex) ?? 0,
    context: appendResponseContext(s),
  });
}

/** Follower: learns the commit index (bounded by what the leader knows we store). */
export function handleHeartbeat(s: RaftState, m: Message): void {
  s.log.commitTo(Math.min(m.commitIndex, s.log.lastIndex()));
  // reject: no member of its own membership (lost_state.ts).
  send(s, { type: "heartbeatResponse", to: m.from, context: m.context, reject: isNotMember(s) });
}
