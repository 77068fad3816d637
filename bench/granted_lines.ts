/**
 * Lines installed in a CacheNode as if its home had granted them, for the in-process cache
 * benches: no home, no store, no sockets.
 */
import type { CacheNode, GrantedState } from "../src/cache/mod.ts";

const encoder = new TextEncoder();
/** A lease far longer than any bench. */
const BENCH_LEASE_MS = 3_600_000;

/** The bench key of index `index`: `key:` and twelve digits, as redis-benchmark's `-r` names. */
export function benchKey(index: number): Uint8Array {
  return encoder.encode(`key:${String(index).padStart(12, "0")}`);
}

/** Asks for `key` on `node` and installs the home's grant in `state`, value `xxx`. */
export function grantLine(
  node: CacheNode,
  key: Uint8Array,
  slot: number,
  state: GrantedState,
  nowMs: number,
): void {
  const decision = node.read(key, slot, nowMs);
  if (decision.kind !== "request") throw new Error(`key ${key}: ${decision.kind}`);
  node.receive({
    type: "grant",
    slot,
    epoch: 1,
    requestId: decision.requestId,
    key,
    state,
    grantSeq: 1,
    value: encoder.encode("xxx"),
    ttlRemainingMs: null,
    leaseMs: BENCH_LEASE_MS,
    applied: true,
  }, nowMs);
}
