import type { NodeId, RaftStorageView } from "./types.ts";

/** Storage for a brand-new member: empty log, membership `voters` (empty for a joining node). */
export function bootstrapStorage(voters: NodeId[], learners: NodeId[] = []): RaftStorageView {
  return {
    hardState: { term: 0, votedFor: null, commitIndex: 0 },
    snapshot: {
      index: 0,
      term: 0,
      confState: { voters: voters.slice(), learners: learners.slice() },
      data: new Uint8Array(0),
    },
    entries: [],
  };
}
