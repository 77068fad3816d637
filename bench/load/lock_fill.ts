import { encodeCommand, RespReplyDecoder } from "../../protocol/resp/mod.ts";
import { replyText } from "../../src/client/resp_connection.ts";

/** What a fill of held locks over pipelined connections produced. */
export interface FillResult {
  grantedCount: number;
  /** Acquires answered -TIMEOUT or -TRYAGAIN and sent again. */
  retryCount: number;
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
 * reply must be a fencing token; a -TIMEOUT or -TRYAGAIN is sent again (at most `lockCount` retries in all),
 * anything else, or the overall timeout, throws.
 */
export async function fillLocks(options: FillOptions): Promise<FillResult> {
  const t0 = performance.now();
  let next = 0;
  let grantedCount = 0;
  /** Locks answered -TIMEOUT (the node was saturated): acquired again (same owner: safe). */
  const retries: number[] = [];
  let retryCount = 0;
  const deadline = t0 + options.timeoutMs;
  const worker = async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: options.port });
    conn.setNoDelay(true);
    const decoder = new RespReplyDecoder();
    const buffer = new Uint8Array(256 * 1024);
    try {
      while (next < options.lockCount || retries.length > 0) {
        if (performance.now() > deadline) {
          throw new Error(`fill exceeded ${options.timeoutMs} ms at ${grantedCount} locks`);
        }
        const batch = retries.splice(0, options.batchSize);
        while (batch.length < options.batchSize && next < options.lockCount) batch.push(next++);
        await writeAll(conn, encodeBatch(options, batch));
        const failed = await readReplies(conn, decoder, buffer, batch);
        retryCount += failed.length;
        if (retryCount > options.lockCount) {
          throw new Error(`more than ${options.lockCount} acquires timed out; giving up`);
        }
        retries.push(...failed);
        grantedCount += batch.length - failed.length;
        options.onProgress(grantedCount);
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: options.connectionCount }, worker));
  return { grantedCount, retryCount, elapsedMs: performance.now() - t0 };
}

function encodeBatch(options: FillOptions, lockIndexes: number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (const i of lockIndexes) {
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
  lockIndexes: number[],
): Promise<number[]> {
  const failed: number[] = [];
  let received = 0;
  while (received < lockIndexes.length) {
    const value = decoder.next();
    if (value !== undefined) {
      const text = replyText(value);
      if (value.type === "error" && /^-(TIMEOUT|TRYAGAIN)/.test(text)) {
        failed.push(lockIndexes[received]!);
      } else if (value.type !== "integer") {
        throw new Error(`LOCK.ACQUIRE answered ${text}, not a token`);
      }
      received += 1;
      continue;
    }
    const readCount = await conn.read(buffer);
    if (readCount === null) throw new Error("connection closed by the server");
    decoder.push(buffer.subarray(0, readCount));
  }
  return failed;
}
