/**
 * CPU cost of pipelined write-back SETs on owned lines in one node process, without sockets or
 * load: a client connection (the node's RESP server code) over a fake socket that hands it
 * READS_PER_ITERATION reads of PIPELINE SETs each, all keys held in live M lines of a write-back
 * cache (the timer does not run, so no write-back is sent). Compare with cache_hit_bench.ts.
 *   deno bench bench/cache_set_bench.ts bench/cache_hit_bench.ts
 */
import { CACHE_CAPACITY_DEFAULT, CACHE_TIMING_DEFAULT } from "../src/cache/mod.ts";
import { ClientSession } from "../src/commands/client_session.ts";
import { CommandTable } from "../src/commands/command_table.ts";
import { newServerStats, type NodeServices } from "../src/commands/node_services.ts";
import { cacheCommands } from "../src/cache_service/cache_commands.ts";
import { CacheService } from "../src/cache_service/cache_service.ts";
import { Logger } from "../src/log/logger.ts";
import { keySlot } from "../src/placement/key_slot.ts";
import { ClientConnection } from "../src/server/client_connection.ts";
import { benchKey, grantLine } from "./granted_lines.ts";

const KEYS = 1000;
const PIPELINE = 16;
const READS_PER_ITERATION = 200;
const SLOTS = 64;
const encoder = new TextEncoder();
const logger = new Logger({ level: "error", format: "text", sink: () => {} });

const service = new CacheService({
  nodeId: "n1",
  cache: { writeMode: "back", timing: CACHE_TIMING_DEFAULT, ...CACHE_CAPACITY_DEFAULT },
  homes: {
    slotHost: () => undefined,
    slotHosts: () => [],
    leaderBarrier: () => Promise.reject(new Error("no home here")),
    store: {
      readKey: () => Promise.reject(new Error("no store")),
      writeKey: () => Promise.reject(new Error("no store")),
    },
  },
  slotCount: () => SLOTS,
  homeOf: () => "n2",
  quorumReachable: () => true,
  send: () => true,
  isUp: () => true,
  requestTimeoutMs: 10_000,
  tickMs: 25,
  nowMs: () => performance.now(),
  batchClock: true, // as the node runs it (src/cache_service/cache_subsystem.ts)
  logger,
});

/** Grants every key in M with a lease far longer than the bench. */
function warm(): void {
  const nowMs = performance.now();
  for (let i = 0; i < KEYS; i++) {
    const key = benchKey(i);
    grantLine(service.node, key, keySlot(key, SLOTS), "M", nowMs);
  }
  service.node.takeMessages();
}
warm();

const reads: Uint8Array[] = [];
for (let r = 0; r < READS_PER_ITERATION; r++) {
  let text = "";
  for (let p = 0; p < PIPELINE; p++) {
    const key = `key:${String((r * PIPELINE + p) % KEYS).padStart(12, "0")}`;
    text += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$3\r\nyyy\r\n`;
  }
  reads.push(encoder.encode(text));
}

/**
 * Hands the connection every read, one per call, then ends; counts reply bytes (the last read's
 * replies may still be in its output when the end closes it).
 */
class FakeConn {
  #next = 0;
  written = 0;
  read(target: Uint8Array): Promise<number | null> {
    const chunk = reads[this.#next++];
    if (chunk === undefined) return Promise.resolve(null);
    target.set(chunk);
    return Promise.resolve(chunk.length);
  }
  write(bytes: Uint8Array): Promise<number> {
    this.written += bytes.length;
    return Promise.resolve(bytes.length);
  }
  close(): void {}
}

const table = new CommandTable(
  cacheCommands({ service, valueBytesMax: 1 << 20, capacity: { bytes: 1 << 26, entries: 1e5 } }),
);
const services = { stats: newServerStats() } as unknown as NodeServices;
const readReplyBytes = PIPELINE * "+OK\r\n".length;
const expectedBytes = READS_PER_ITERATION * readReplyBytes;

/** Serves one connection through every read. */
export async function serveReads(): Promise<void> {
  const conn = new FakeConn();
  const connection = new ClientConnection(
    conn as unknown as Deno.Conn,
    new ClientSession(1, "bench", 0, true),
    table,
    services,
    logger,
    { resp: {}, outputBytesMax: 1 << 24 },
  );
  await connection.serve();
  if (conn.written !== expectedBytes && conn.written !== expectedBytes - readReplyBytes) {
    throw new Error(`wrote ${conn.written} bytes, expected ${expectedBytes}`);
  }
}

Deno.bench(`write-back SET on M lines, ${READS_PER_ITERATION} reads of -P ${PIPELINE}`, serveReads);
