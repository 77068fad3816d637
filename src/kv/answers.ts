import type { KvRequest } from "./arguments.ts";
import type { KvExpiryTracker } from "./expiry_tracker.ts";
import type { KvSlot } from "./kv_slot.ts";
import { type KvOp, type KvOutcome, limitMessage } from "./types.ts";

/** The domain answer to a key-value command; the command layer writes it as RESP. */
export type KvAnswer =
  /** `+OK` (SET written, MSET). */
  | { kind: "ok" }
  /** Null bulk string (GET of a missing key, SET whose NX/XX did not hold). */
  | { kind: "nil" }
  /** Bulk string (GET). */
  | { kind: "bulk"; value: Uint8Array }
  /** Integer (DEL, EXISTS, PTTL). */
  | { kind: "integer"; value: number }
  /** Array of bulk strings or nulls (MGET). */
  | { kind: "array"; values: (Uint8Array | null)[] }
  /** An error line without its `-` (`LIMIT ...`, or a cluster error such as `TRYAGAIN ...`). */
  | { kind: "error"; line: string };

/** The keys a request names, in order (for routing and for KvExpiryTracker.dueAmong). */
export function keysOf(request: KvRequest): Uint8Array[] {
  switch (request.command) {
    case "get":
    case "set":
    case "pttl":
      return [request.key];
    case "del":
    case "exists":
    case "mget":
      return request.keys;
    case "mset":
      return request.pairs.map((pair) => pair.key);
  }
}

/** The op a write request proposes (all its keys in one slot), or null for a read. */
export function opOf(request: KvRequest): KvOp | null {
  switch (request.command) {
    case "set": {
      const { key, value, ttlMs, condition } = request;
      return { op: "set", key, value, ttlMs, condition };
    }
    case "del":
      return { op: "del", keys: request.keys };
    case "mset":
      return { op: "mset", pairs: request.pairs };
    default:
      return null;
  }
}

/** The answer to a write from the outcome of its op. */
export function answerOfOutcome(outcome: KvOutcome): KvAnswer {
  switch (outcome.kind) {
    case "ok":
      return { kind: "ok" };
    case "notSet":
      return { kind: "nil" };
    case "deleted":
      return { kind: "integer", value: outcome.count };
    case "expired":
      return { kind: "integer", value: outcome.removed ? 1 : 0 };
    case "limit":
      return { kind: "error", line: `LIMIT ${limitMessage(outcome)}` };
    case "invalid":
      return { kind: "error", line: `ERR invalid key-value operation: ${outcome.message}` };
  }
}

/**
 * The answer to a read (GET, EXISTS, MGET, PTTL) from the slot's state; null for a write. PTTL
 * needs the leader's tracker: -2 missing, -1 no TTL, else the ms left on the leader's clock.
 */
export function answerRead(
  request: KvRequest,
  slot: KvSlot,
  tracker: KvExpiryTracker,
  nowMs: number,
): KvAnswer | null {
  switch (request.command) {
    case "get": {
      const value = slot.get(request.key);
      return value === null ? { kind: "nil" } : { kind: "bulk", value };
    }
    case "exists":
      return { kind: "integer", value: slot.existsCount(request.keys) };
    case "mget":
      return { kind: "array", values: slot.mget(request.keys) };
    case "pttl": {
      const entry = slot.entry(request.key);
      if (entry === undefined) return { kind: "integer", value: -2 };
      if (entry.ttlMs === null) return { kind: "integer", value: -1 };
      const remainingMs = tracker.remainingMs(request.key, slot, nowMs);
      return { kind: "integer", value: remainingMs ?? entry.ttlMs };
    }
    default:
      return null;
  }
}
