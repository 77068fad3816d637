/**
 * Slot placement (pure: no `Deno.*`, clock or randomness; a function of its arguments only).
 *
 * A key maps to one of a fixed number of slots (`keySlot`: CRC16-XMODEM of the key or of its
 * `{hash tag}`, mod the slot count). Each slot is a Raft group whose replicas are the first
 * `replicas` distinct members clockwise from the slot's point on a consistent-hash ring of
 * `vnodes` points per member (`computePlacement`). Each slot also has a preferred leader, spread
 * so that leader counts per member differ by at most one whenever the replica sets allow it.
 * The placement lives in the meta group's replicated state (`encodePlacement`,
 * `decodePlacement`); `planPlacementSteps` turns a new placement into single-server membership
 * changes and leadership transfers, one at a time per group. See docs/slots.md.
 *
 * @module
 */

export { crc16Xmodem, hashTagRange, KEY_SLOT_COUNT_MAX, keySlot } from "./key_slot.ts";
export { murmur3x86_32, ringHash } from "./hash32.ts";
export { HashRing, slotPosition, vnodePosition } from "./ring.ts";
export { spreadLeaders } from "./leaders.ts";
export {
  compareIds,
  computePlacement,
  describeConfigProblem,
  describeMembersProblem,
  placedReplicaCount,
  type Placement,
  type PlacementConfig,
  placementsEqual,
  type SlotPlacement,
} from "./placement.ts";
export {
  decodePlacement,
  encodePlacement,
  PLACEMENT_VERSION,
  PlacementDecodeError,
} from "./placement_codec.ts";
export {
  type PlacementBalance,
  placementBalance,
  type PlacementMovement,
  placementMovement,
} from "./placement_stats.ts";
export {
  type GroupState,
  nextGroupStep,
  type PlacementStep,
  planPlacementSteps,
} from "./planner.ts";
export { orderSteps } from "./step_order.ts";
export {
  MEMBER_ID_CHARS_MAX,
  REPLICAS_DEFAULT,
  REPLICAS_MAX,
  RING_MEMBERS_MAX,
  SLOT_COUNT_DEFAULT,
  SLOT_COUNT_MAX,
  VNODES_DEFAULT,
  VNODES_MAX,
} from "./limits.ts";
