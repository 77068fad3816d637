import type { CacheTiming } from "./limits.ts";
import { type CacheLine, type LineStore, NONE_EVICTED } from "./line_store.ts";
import type { CacheWrite } from "./types.ts";

const NOT_APPLIED = Object.freeze({ applied: false, evicted: NONE_EVICTED });

/**
 * Applies a write-back write to a line the node owns (M, or E which becomes M): NX/XX are
 * decided on the line's value, the value and TTL change locally and the line becomes dirty. The
 * value is copied (into the line's own buffer when it has one of that length, `ownsValue`), so
 * the caller may pass a view of its input.
 * Returns whether the condition held (false: nothing changed, Redis answers nil; for a DEL,
 * whether the key existed, as the home answers) and the lines
 * the bigger value evicted (the caller sends their notices). The value must fit the store
 * (`LineStore.fits`).
 */
export function applyLocalWrite(
  lines: LineStore,
  line: CacheLine,
  write: CacheWrite,
  nowMs: number,
  timing: CacheTiming,
): { applied: boolean; evicted: CacheLine[] } {
  const exists = line.value !== null;
  if (write.condition === "ifMissing" && exists) return NOT_APPLIED;
  if (write.condition === "ifExists" && !exists) return NOT_APPLIED;
  const value = write.value;
  // DEL of a missing key removes nothing: Redis answers 0, and the line stays as it is.
  if (value === null && !exists) return NOT_APPLIED;
  let evicted = NONE_EVICTED;
  if (
    line.ownsValue && value !== null && line.value !== null && line.value.length === value.length
  ) {
    line.value.set(value); // the line's own buffer, in no message: same bytes count
  } else {
    evicted = lines.setValue(line, value === null ? null : value.slice());
    line.ownsValue = value !== null;
  }
  line.state = "M";
  line.expiryEndMs = write.ttlMs === null ? null : nowMs + write.ttlMs - timing.expiryMarginMs;
  const data = { value: line.value, ttlMs: write.ttlMs };
  const version = ++line.writeCount;
  if (line.dirty === null) {
    line.dirty = { data, version, unsentSinceMs: nowMs, inFlight: null };
  } else {
    line.dirty.data = data;
    line.dirty.version = version;
    line.dirty.unsentSinceMs ??= nowMs;
  }
  return { applied: true, evicted };
}
