/**
 * CPU cost of a home answering write-backs, in one process without sockets: the node's
 * CacheHomes leading SLOTS slots (a fake Raft host), its store a fake that commits every batch at
 * once, node n2 holding KEYS lines in M. Each iteration is one write-back flush of n2: a WriteBack
 * of every line, handed to the homes as one bundle's messages arrive, and every ack out.
 *   deno bench bench/cache_homes_bench.ts
 */
import {
  CACHE_TIMING_DEFAULT,
  type HomeToNodeMessage,
  type WriteBackMessage,
} from "../src/cache/mod.ts";
import { CacheHomes } from "../src/cache_service/cache_homes.ts";
import type { RaftHost } from "../src/consensus/raft_host.ts";
import { Logger } from "../src/log/logger.ts";
import { keySlot } from "../src/placement/key_slot.ts";
import { benchKey } from "./granted_lines.ts";

const KEYS = 1000;
const SLOTS = 64;
const encoder = new TextEncoder();
const clock = { nowMs: 0 };
const host = {
  leading: true,
  core: { term: 1 },
  status: () => ({ confState: { voters: ["n1", "n2"], learners: [] } }),
} as unknown as RaftHost<unknown>;
const delivered: HomeToNodeMessage[] = [];
const homes = new CacheHomes({
  timing: CACHE_TIMING_DEFAULT,
  slotHost: () => host,
  slotHosts: () => Array.from({ length: SLOTS }, (_, slot) => [slot, host]),
  store: {
    readKey: () => Promise.resolve({ value: null, ttlRemainingMs: null }),
    writeKey: (_slot, _key, write) =>
      Promise.resolve({ kind: "written", applied: true, value: write.value, ttlRemainingMs: null }),
    writePairs: (_slot, pairs) =>
      Promise.resolve(
        pairs.map(({ value }) => ({ kind: "written", applied: true, value, ttlRemainingMs: null })),
      ),
  },
  leaderBarrier: () => Promise.resolve(),
  deliver: (_to, message) => delivered.push(message),
  nowMs: () => clock.nowMs,
  logger: new Logger({ level: "error", format: "text", sink: () => {} }),
  nodeId: "n1",
  fenceNodes: () => null,
  isMember: () => true,
});

const keys = Array.from({ length: KEYS }, (_, i) => benchKey(i));
const grants = new Map<string, number>();

/** Lets the store's answers and the homes' acks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

homes.tick();
clock.nowMs = 10_000; // past the new homes' startup wait
homes.tick();
for (const [i, key] of keys.entries()) {
  homes.receive("n2", {
    type: "exclusiveRequest",
    slot: keySlot(key, SLOTS),
    requestId: i + 1,
    key,
    write: { value: encoder.encode("xxx"), ttlMs: null, condition: "always" },
  });
}
await settle();
for (const message of delivered.splice(0)) {
  if (message.type === "grant") grants.set(String(message.key), message.grantSeq);
}
if (grants.size !== KEYS) throw new Error(`only ${grants.size} of ${KEYS} lines granted`);

let version = 0;
Deno.bench(`home answers a write-back flush of ${KEYS} lines over ${SLOTS} slots`, async () => {
  version++;
  for (const key of keys) {
    const message: WriteBackMessage = {
      type: "writeBack",
      slot: keySlot(key, SLOTS),
      epoch: 1,
      key,
      grantSeq: grants.get(String(key))!,
      writeVersion: version,
      dirty: { value: encoder.encode("yyy"), ttlMs: null },
      final: false,
    };
    homes.receive("n2", message);
  }
  await settle();
  const acks = delivered.splice(0).filter((m) => m.type === "writeBackAck" && m.accepted);
  if (acks.length !== KEYS) throw new Error(`${acks.length} of ${KEYS} write-backs acknowledged`);
});
