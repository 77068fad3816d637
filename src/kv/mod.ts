/**
 * The replicated key-value store of one slot: a pure, deterministic state machine (no `Deno.*`,
 * timers, clocks or randomness) that every replica of the slot's Raft group applies from the
 * committed log, plus what the slot leader and the command layer need around it. The cache
 * issue puts per-node copies on top; this is the store under them. docs/kv.md has the argument.
 *
 * ## Driving it (what the node's plug-in calls)
 *
 * 1. `parseKvCommand(args, limits)` → a `KvRequest`, or a `KvArgumentError` with Redis's line.
 * 2. `splitBySlot(request, slotOf)` → one `SlotShare` per slot, each run on its slot's leader.
 * 3. On the leader, per share: `tracker.dueAmong(keysOf(share.request), slot, nowMs)` gives the
 *    expiries to propose FIRST (encodeKvOp each). A write then proposes `opOf(request)`; its
 *    committed outcome from `slot.apply(index, decodeKvOp(data))` becomes
 *    `answerOfOutcome(outcome)`. A read waits until the slot has applied those expiries, or,
 *    when there were none, for a ReadIndex barrier started after the command arrived, then
 *    answers `answerRead(request, slot, tracker, nowMs)`. The expiries must be accepted for
 *    proposal before the command is; if they are refused, the command is refused too.
 * 4. `gatherAnswers(request, shares, answers)` → the answer, which the command layer writes.
 *
 * Every replica applies every committed op with `slot.apply(index, op)`. The leader also calls
 * `tracker.applied(op, slot, nowMs)` after each, `tracker.reset(slot, nowMs)` when it starts
 * leading, `tracker.due(nowMs)` on a timer (propose what it returns) and `tracker.settled(op)`
 * when a proposed expiry is applied or fails.
 *
 * ## Semantics
 *
 * - Keys are any bytes (0..KV_KEY_BYTES_MAX = 4096), values any bytes (0..valueBytesMax).
 * - `set`: NX/XX are evaluated when the op is applied, on the state at that point of the log;
 *   a false condition is `notSet` and writes nothing. Without a TTL the key never expires (an
 *   older TTL is dropped, as in Redis). `mset` writes all its pairs or none (one slot), drops
 *   their TTLs; a repeated key keeps its last value. `del` counts distinct keys removed.
 * - Every op that changes the store takes the next slot `revision`; each key records the
 *   revision of its last write (one counter, not the log index, so ops sharing an entry differ).
 * - Expiry: the store keeps only the TTL. The leader's `KvExpiryTracker` puts a deadline on its
 *   own clock (TTL after it applied the write, or after it started leading) and proposes
 *   `expire key revision`; the store removes the key only if its revision still matches, so any
 *   write committed ahead of the expiry wins. The expiry is a write in the log like any other,
 *   which is why reads stay linearizable.
 * - Limits: a value over `valueBytesMax`, a slot over `slotBytesMax` (key + value +
 *   KV_ENTRY_OVERHEAD_BYTES per key) or over `keysMax` keys refuse the op with a typed `limit`
 *   that changes nothing; only growth is refused (a write that does not add keys or bytes
 *   passes even over lowered limits). Limits must be identical on every replica of a slot.
 *
 * ## Encodings
 *
 * `encodeKvOp`/`decodeKvOp` and `slot.snapshot()`/`KvSlot.restore()` are versioned big-endian
 * binary (protocol/peer's BinaryWriter/Reader); decoding validates everything and throws only
 * `KvCodecError`. snapshot → restore → snapshot is byte-identical.
 *
 * @module
 */
export { answerOfOutcome, answerRead, keysOf, type KvAnswer, opOf } from "./answers.ts";
export {
  INVALID_EXPIRE_ERROR,
  type KvArgumentError,
  type KvArgumentLimits,
  type KvRequest,
  NOT_INTEGER_ERROR,
  parseKvCommand,
  SYNTAX_ERROR,
} from "./arguments.ts";
export { KvCodecError } from "./codec_error.ts";
export { KvExpiryTracker } from "./expiry_tracker.ts";
export { KvSlot } from "./kv_slot.ts";
export {
  KV_ENTRY_OVERHEAD_BYTES,
  KV_KEY_BYTES_MAX,
  KV_LIMITS_DEFAULT,
  KV_OP_KEYS_MAX,
  KV_TTL_MS_MAX,
  type KvLimits,
  resolveKvLimits,
} from "./limits.ts";
export { decodeKvOp, encodeKvOp, KV_OP_VERSION, kvOpBytes } from "./op_codec.ts";
export { gatherAnswers, type SlotShare, splitBySlot } from "./slot_split.ts";
export { KV_SNAPSHOT_VERSION } from "./snapshot_codec.ts";
export { limitMessage } from "./types.ts";
export type * from "./types.ts";
