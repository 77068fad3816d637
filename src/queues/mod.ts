/**
 * Queues: the replicated state of the queue partitions one slot holds, a pure, deterministic
 * state machine (no `Deno.*`, timers, clocks or randomness) that every replica of the slot's
 * Raft group applies from the committed log, plus the slot leader's timer and the command
 * parsing around it. docs/queues.md has the argument; this is the summary.
 *
 * ## Driving it (what the node's plug-in calls)
 *
 * 1. `parseQueueCommand(args, limits)` → a `QueueRequest`, or a `QueueArgumentError` line.
 * 2. `partitionsOf(request, partitions, spread)` → the partitions to reach; partition `p` of
 *    queue `q` lives in the slot of `placementKey(q, p)` (dead queues sit with their queue).
 * 3. On that slot's leader, every op carries `timer.nowMs(hostNowMs)`. Writes (PUSH, ACK, NACK,
 *    TOUCH, CONFIG) propose `opOf(request, p, nowMs)` and answer `answerOfOutcome(outcome)`
 *    once the entry is committed and applied (a PUSH is answered only after a majority has it).
 *    POP first proposes `timer.dueBefore(slot, hostNowMs)` if not null, then, when
 *    `slot.deliverableCount(q, p) > 0`, a `deliver` (opOf with the count still wanted); it
 *    gathers messages over partitions. LEN and STATS read `slot.stats(q, p)` after a ReadIndex
 *    barrier and gather with `lenAnswer` / `statsAnswer`.
 * 4. The leader calls `timer.reset(slot, hostNowMs)` when it starts leading, proposes
 *    `timer.due(slot, hostNowMs)` when not null (arm a host timer at `timer.nextDueHostMs`),
 *    and `timer.settled(outcome)` when that tick is applied or fails.
 *
 * Every replica applies with `slot.apply(index, decodeQueueOp(data))`; snapshots are
 * `slot.snapshot()` and `QueueSlot.restore(bytes, limits)`.
 *
 * ## Semantics
 *
 * - Log time: each op carries the leader's `nowMs`; the slot applies max(that, its log time), so
 *   log time never goes back. Every deadline is log time; the clock enters only through ops.
 * - Ids: `<partition>-<sequence>`, the sequence from one slot-wide counter (in the snapshot),
 *   assigned at apply: never reused.
 * - Lanes: a ready message is in the `high` or `normal` lane (FIFO by when it became ready).
 *   Deliver serves high first, but after QUEUE_HIGH_PER_NORMAL (4) highs in a row delivered
 *   while a normal message was deliverable, it serves one normal: 4:1 at worst.
 * - Keys: a keyed message may be delivered only while it is the oldest live message of its key
 *   in the partition: one in flight per key, in push order, redeliveries included.
 * - In flight until acked, nacked, touched, or its visibility deadline is handled by a tick:
 *   then ready again with its delivery count kept, or moved to `<queue>:dead` (same partition
 *   number) once delivered MAXDELIVER times. TTL (from the push) drops a message in any state,
 *   counted in `dropped`. ACK removes any live message.
 * - Dedup: a push whose dedup id was pushed to the partition within dedupWindowMs returns the
 *   first id and adds nothing; past dedupEntriesMax live ids a new one is refused (-LIMIT).
 * - Limits refuse a push with a typed `limit` that changes nothing (only the log time moves).
 *
 * @module
 */
export {
  answerOfOutcome,
  lenAnswer,
  opOf,
  partitionsOf,
  pushPartition,
  type QueueAnswer,
  statsAnswer,
  UNKNOWN_ID_ANSWER,
} from "./answers.ts";
export {
  type ParsedId,
  parseQueueCommand,
  QUEUE_NOT_INTEGER_ERROR,
  QUEUE_SYNTAX_ERROR,
  type QueueArgumentError,
  type QueueArgumentLimits,
  type QueueRequest,
} from "./arguments.ts";
export { QueueCodecError } from "./codec_error.ts";
export * from "./limits.ts";
export { decodeQueueOp, encodeQueueOp, QUEUE_OP_VERSION, queueOpBytes } from "./op_codec.ts";
export { type MessageView, QueueSlot } from "./queue_slot.ts";
export { QueueTimer } from "./queue_timer.ts";
export {
  DEAD_SUFFIX,
  deadQueueName,
  messageId,
  parseMessageId,
  partitionOfKey,
  placementKey,
  placementName,
} from "./routing.ts";
export { QUEUE_SNAPSHOT_VERSION } from "./snapshot_codec.ts";
export { limitMessage } from "./types.ts";
export type * from "./types.ts";
