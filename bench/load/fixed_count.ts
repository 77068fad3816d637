/**
 * A fixed-count RESP workload for load tools: `count` commands spread over connections to one or
 * more 127.0.0.1 ports, `batchSize` in flight per connection, every reply checked; it starts no
 * batch once `timeoutMs` has passed (without error), so a slow system still ends in bounded time.
 */
import type { RespValue } from "../../protocol/resp/mod.ts";
import { replyText } from "../../src/client/resp_connection.ts";
import { PIPELINE_COMMANDS_MAX, RespPipeline } from "./resp_pipeline.ts";

/** Settings of one fixed-count run. */
export interface FixedCountOptions {
  /** Connection `i` goes to `ports[i % ports.length]`. */
  ports: number[];
  connectionCount: number;
  /** Commands written at once per connection (1 = request, reply, request, ...). */
  batchSize: number;
  count: number;
  /** No batch starts after this. */
  timeoutMs: number;
  /** A batch unanswered for this long fails the run. */
  batchTimeoutMs: number;
  /** The command number `index` (0-based, each index sent once). */
  command(index: number): Array<string | Uint8Array>;
  /** True when `reply` is a success; anything else ends the run with an error... */
  accept(reply: RespValue): boolean;
  /** ...unless this says to send the command again (at most `count` resends in all). */
  resend?(reply: RespValue): boolean;
}

/** A reply that says the outcome is unknown (contract: TIMEOUT); idempotent commands may resend. */
export function isTimeout(reply: RespValue): boolean {
  return reply.type === "error" && reply.value.startsWith("TIMEOUT");
}

/** A reply that says nothing happened and the command may be sent again (contract: TRYAGAIN). */
export function isTryAgain(reply: RespValue): boolean {
  return reply.type === "error" && reply.value.startsWith("TRYAGAIN");
}

/** What a fixed-count run completed. */
export interface FixedCountResult {
  completed: number;
  elapsedMs: number;
  /** True when the time ran out before `count` commands were answered. */
  timedOut: boolean;
  /** Commands sent again because `resend` said so. */
  resendCount: number;
}

/** Runs the workload; throws on a refused reply, a closed connection or a batch past the time. */
export async function runFixedCount(options: FixedCountOptions): Promise<FixedCountResult> {
  if (options.batchSize < 1 || options.batchSize > PIPELINE_COMMANDS_MAX) {
    throw new RangeError(`batchSize ${options.batchSize}: expected 1..${PIPELINE_COMMANDS_MAX}`);
  }
  const t0 = performance.now();
  const deadline = t0 + options.timeoutMs;
  let next = 0;
  let completed = 0;
  let timedOut = false;
  const resends: number[] = [];
  let resendCount = 0;
  const worker = async (connectionIndex: number) => {
    const port = options.ports[connectionIndex % options.ports.length]!;
    const pipeline = await RespPipeline.open(port);
    try {
      while (next < options.count || resends.length > 0) {
        if (performance.now() >= deadline) {
          timedOut = true;
          return;
        }
        const indexes = resends.splice(0, options.batchSize);
        while (indexes.length < options.batchSize && next < options.count) indexes.push(next++);
        const commands = indexes.map((index) => options.command(index));
        const replies = await pipeline.calls(commands, options.batchTimeoutMs);
        for (const [i, reply] of replies.entries()) {
          if (options.accept(reply)) {
            completed++;
          } else if (options.resend?.(reply) === true && resendCount < options.count) {
            resendCount++;
            resends.push(indexes[i]!);
          } else {
            throw new Error(`${String(commands[i]![0])} answered ${replyText(reply)}`);
          }
        }
      }
    } finally {
      pipeline.close();
    }
  };
  await Promise.all(Array.from({ length: options.connectionCount }, (_, i) => worker(i)));
  return { completed, elapsedMs: performance.now() - t0, timedOut, resendCount };
}
