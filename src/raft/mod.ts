/**
 * Pure Raft consensus core: elections with PreVote and CheckQuorum, pipelined replication,
 * chunked snapshots, single-server membership changes with learners, leadership transfer and
 * ReadIndex, quiet (non-heartbeating) idle groups. See docs/raft.md.
 * @module
 */
export { RaftNode } from "./raft_node.ts";
export { newMessage } from "./new_message.ts";
export {
  newRaftConfig,
  RAFT_CONFIG_DEFAULTS,
  type RaftConfig,
  type RaftConfigInput,
  type ReadOnlyMode,
  validateRaftConfig,
} from "./config.ts";
export { SeededRandom } from "./random.ts";
export { applyConfChange, MEMBERS_MAX } from "./membership.ts";
export {
  decodeConfState,
  decodeEntries,
  decodeHardState,
  decodeSnapshot,
  encodeConfState,
  encodeEntries,
  encodeHardState,
  encodeSnapshot,
} from "./entry_codec.ts";
export { decodeRaftMessage, encodeRaftMessage } from "./message_codec.ts";
export { bootstrapStorage } from "./bootstrap.ts";
export { QUIESCE_NOTICE_ROUNDS } from "./quiesce.ts";
export type * from "./types.ts";
