/**
 * Jepsen-style testing pieces: history recording, the linearizability checker and the lock model,
 * the mutual-exclusion / visibility / recovery checkers, a fault-injecting TCP proxy, a seeded
 * nemesis schedule and an SVG timeline. See docs/chaos.md.
 */
export {
  type EventType,
  HISTORY_EVENT_COUNT_MAX,
  type HistoryEvent,
  type HistoryOperation,
  HistoryRecorder,
  type JsonValue,
  type OperationOutcome,
  outcomeOfError,
  pairOperations,
} from "./history.ts";
export { historyFromJson, historyToJson } from "./history_json.ts";
export type { Model, ModelOperation, Outcome } from "./model.ts";
export {
  checkLinearizability,
  type Counterexample,
  describeVerdict,
  LINEARIZABILITY_STATES_EXPLORED_MAX,
  type LinearizabilityOptions,
  type LinearizabilityVerdict,
} from "./linearizability.ts";
export {
  LOCK_MODEL,
  type LockHolder,
  type LockInput,
  type LockMode,
  type LockOutput,
  type LockReading,
  type LockState,
} from "./lock_model.ts";
export {
  LOCK_TTL_MS_DEFAULT,
  type LockOperation,
  lockOperations,
  type LockOperationsOptions,
  parseLockInput,
  parseLockOutput,
  parseLockReading,
} from "./lock_call.ts";
export { checkLockHistory, type LockCheckResult } from "./lock_check.ts";
export { deriveHolds, type HoldEnd, type LockHold } from "./lock_holds.ts";
export {
  checkFinalReads,
  checkMutualExclusion,
  checkRecovery,
  type CheckReport,
  type FinalLockRead,
  finalReadsFrom,
  type RecoveryReport,
  type Violation,
  VIOLATIONS_REPORTED_MAX,
} from "./checkers.ts";
export {
  type Direction,
  FAULT_PROXY_CONNECTION_COUNT_MAX,
  FAULT_PROXY_QUEUE_BYTES_MAX,
  FAULT_PROXY_READ_CHUNK_BYTES,
  FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  sampleDelayMs,
} from "./fault_proxy.ts";
export {
  activeFaults,
  describeFault,
  type Fault,
  type Link,
  NEMESIS_FAULT_COUNT_MAX,
  NEMESIS_KINDS,
  type NemesisEvent,
  type NemesisKind,
  type NemesisOptions,
  type NemesisSchedule,
  planNemesis,
  type ScheduledFault,
} from "./nemesis.ts";
export {
  buildTimelineSpec,
  FAULT_COLOR,
  faultIntervals,
  LABEL_CHARS_MAX,
  OUTCOME_COLORS,
  renderTimelineSvg,
  type TimelineFault,
  type TimelineOptions,
} from "./timeline.ts";
