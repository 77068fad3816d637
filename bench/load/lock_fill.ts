import { encodeCommand, RespReplyDecoder } from "../../protocol/resp/mod.ts";
import { replyText } from "../../src/client/resp_connection.ts";

/** What a fill of held locks over pipelined connections produced. */
export interface FillResult {
  grantedCount: number;
  elapsedMs: number;
}

/** Settings of one fill. */
export interface FillOptions {
  port: number;
  lockCount: number;
  connectionCount: number;
  /** Commands in flight per connection (one batch written, then all its replies read). */
  batchSize: number;
  ttlMs: number;
  timeoutMs: number;
  /** Lock `i` is `${prefix}${i}`, held by owner `owner-${i % ownerCount}`. */
  prefix: string;
  ownerCount: number;
  onProgress: (grantedCount: number) => void;
}

/**
 * Acquires `lockCount` distinct locks over pipelined RESP connections (127.0.0.1 only). Every
 * reply must be a fencing token; anything else, or the timeout, throws.
 */
export async function fillLocks(options: FillOptions): Promise<FillResult> {
  const t0 = performance.now();
  let next = 0;
  let grantedCount = 0;
  const deadline = t0 + options.timeoutMs;
  const worker = async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: options.port });
    conn.setNoDelay(true);
    const decoder = new RespReplyDecoder();
    const buffer = new Uint8Array(256 * 1024);
    try {
      while (next < options.lockCount) {
        if (performance.now() > deadline) {
          throw new Error(`fill exceeded ${options.timeoutMs} ms at ${grantedCount} locks`);
        }
        const first = next;
        const count = Math.min(options.batchSize, options.lockCount - first);
        next += count;
        await writeAll(conn, encodeBatch(options, first, count));
        const repliedCount = await readReplies(conn, decoder, buffer, count);
        grantedCount += repliedCount;
        options.onProgress(grantedCount);
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: options.connectionCount }, worker));
  return { grantedCount, elapsedMs: performance.now() - t0 };
}

function encodeBatch(options: FillOptions, first: number, count: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (let i = first; i < first + count; i++) {
    const owner = `owner-${i % options.ownerCount}`;
    const part = encodeCommand([
      "LOCK.ACQUIRE",
      `${options.prefix}${i}`,
      owner,
      "TTL",
      String(options.ttlMs),
    ]);
    parts.push(part);
    bytes += part.length;
  }
  const batch = new Uint8Array(bytes);
  let offset = 0;
  for (const part of parts) {
    batch.set(part, offset);
    offset += part.length;
  }
  return batch;
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

async function readReplies(
  conn: Deno.TcpConn,
  decoder: RespReplyDecoder,
  buffer: Uint8Array,
  count: number,
): Promise<number> {
  let received = 0;
  while (received < count) {
    const value = decoder.next();
    if (value !== undefined) {
      if (value.type !== "integer") {
        throw new Error(`LOCK.ACQUIRE answered ${replyText(value)}, not a token`);
      }
      received += 1;
      continue;
    }
    const readCount = await conn.read(buffer);
    if (readCount === null) throw new Error("connection closed by the server");
    decoder.push(buffer.subarray(0, readCount));
  }
  return received;
}
