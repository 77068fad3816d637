/**
 * CPU cost of the write-back node's timer between flushes: a CacheNode (write-back) holding
 * DIRTY_LINES lines in M, each written once (so all dirty, their WriteBacks due at the flush),
 * ticked at a time when no flush or resend is due. Lines written steadily stay dirty, so this is
 * the tick of a node under a write-back load three times out of four (25 ms ticks, 100 ms flush).
 *   deno bench bench/cache_tick_bench.ts
 */
import { CACHE_TIMING_DEFAULT, CacheNode } from "../src/cache/mod.ts";
import { benchKey, grantLine } from "./granted_lines.ts";

const DIRTY_LINES = 10_000;
const encoder = new TextEncoder();

const node = new CacheNode({
  writeMode: "back",
  timing: CACHE_TIMING_DEFAULT,
  maxBytes: 1 << 28,
  maxEntries: 2 * DIRTY_LINES,
});
for (let i = 0; i < DIRTY_LINES; i++) {
  const key = benchKey(i);
  grantLine(node, key, i % 64, "M", 0);
  if (
    node.writeHit(key, { value: encoder.encode("yyy"), ttlMs: null, condition: "always" }, 1) !==
      true
  ) {
    throw new Error(`key ${i}: not written locally`);
  }
}
node.takeMessages();
/** Before the flush (writeBackMs after the first write) and any resend. */
const BETWEEN_FLUSHES_MS = 1 + CACHE_TIMING_DEFAULT.writeBackMs / 2;

Deno.bench(`write-back node tick between flushes, ${DIRTY_LINES} dirty lines`, () => {
  node.tick(BETWEEN_FLUSHES_MS);
  if (node.takeMessages().length !== 0) throw new Error("a tick between flushes sent messages");
});
