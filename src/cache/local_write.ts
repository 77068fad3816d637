import type { CacheTiming } from "./limits.ts";
import type { CacheLine, LineStore } from "./line_store.ts";
import type { CacheWrite } from "./types.ts";

const NOT_APPLIED = Object.freeze({ applied: false, evicted: [] as CacheLine[] });

/**
 * Applies a write-back write to a line the node owns (M, or E which becomes M): NX/XX are
 * decided on the line's value, the value and TTL change locally and the line becomes dirty.
 * Returns whether the condition held (false: nothing changed, Redis answers nil) and the lines
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
  const evicted = lines.setValue(line, write.value);
  line.state = "M";
  line.expiryEndMs = write.ttlMs === null ? null : nowMs + write.ttlMs - timing.expiryMarginMs;
  const data = { value: write.value, ttlMs: write.ttlMs };
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
