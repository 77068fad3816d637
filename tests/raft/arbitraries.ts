import fc from "fast-check";
import type { ConfState, Entry, HardState, Message, MessageType } from "../../src/raft/mod.ts";

const MESSAGE_TYPES: MessageType[] = [
  "preVote",
  "preVoteResponse",
  "vote",
  "voteResponse",
  "append",
  "appendResponse",
  "heartbeat",
  "quiesce",
  "heartbeatResponse",
  "snapshot",
  "snapshotResponse",
  "timeoutNow",
  "readIndex",
  "readIndexResponse",
];

/** Non-negative safe integers, biased to edges. */
export const u64 = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

/** Node ids (1..40 chars, unicode allowed). */
export const nodeId = fc.string({ minLength: 1, maxLength: 40 });

/** Membership with distinct ids. */
export const confState: fc.Arbitrary<ConfState> = fc.uniqueArray(nodeId, { maxLength: 8 })
  .chain((ids) =>
    fc.nat({ max: ids.length }).map((split) => ({
      voters: ids.slice(0, split),
      learners: ids.slice(split),
    }))
  );

/** Consecutive entries. */
export const entries: fc.Arbitrary<Entry[]> = fc.tuple(
  fc.integer({ min: 1, max: 2 ** 40 }),
  fc.array(
    fc.record({
      term: u64,
      kind: fc.constantFrom("normal" as const, "config" as const, "noop" as const),
      data: fc.uint8Array({ maxLength: 64 }),
    }),
    { maxLength: 6 },
  ),
).map(([first, items]) => items.map((item, i) => ({ index: first + i, ...item })));

/** Hard states. */
export const hardState: fc.Arbitrary<HardState> = fc.record({
  term: u64,
  votedFor: fc.option(nodeId, { nil: null }),
  commitIndex: u64,
});

/** Valid messages of every type. */
export const message: fc.Arbitrary<Message> = fc.constantFrom(...MESSAGE_TYPES).chain((type) =>
  fc.record({
    type: fc.constant(type),
    groupId: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    from: nodeId,
    to: nodeId,
    term: u64,
    index: u64,
    logTerm: u64,
    commitIndex: u64,
    entries: type === "append" ? entries : fc.constant([]),
    reject: fc.boolean(),
    rejectHint: u64,
    // appendResponse: 0, or 1 when the sender is no member of its own membership.
    context: type === "appendResponse" ? fc.integer({ min: 0, max: 1 }) : u64,
    snapshot: type !== "snapshot" ? fc.constant(null) : fc.record({
      index: u64,
      term: u64,
      confState,
      offsetBytes: fc.nat({ max: 1000 }),
      totalBytes: fc.constant(0),
      data: fc.uint8Array({ maxLength: 64 }),
    }).map((chunk) => ({
      ...chunk,
      totalBytes: chunk.offsetBytes + chunk.data.length + (chunk.index % 7),
    })),
  })
);
