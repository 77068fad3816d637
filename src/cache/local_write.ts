import type { CacheTiming } from "./limits.ts";
import type { CacheLine, LineStore } from "./line_store.ts";
import type { CacheWrite } from "./types.ts";

/**
 * Applies a write-back write to a line the node owns (M, or E which becomes M): NX/XX are
 * decided on the line's value, the value and TTL change locally and the line becomes dirty.
 * Returns whether the condition held (false: nothing changed, Redis answers nil).
 */
export function applyLocalWrite(
  lines: LineStore,
  line: CacheLine,
  write: CacheWrite,
  nowMs: number,
  timing: CacheTiming,
): boolean {
  const exists = line.value !== null;
  if (write.condition === "ifMissing" && exists) return false;
  if (write.condition === "ifExists" && !exists) return false;
  lines.setValue(line, write.value);
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
  return true;
}
