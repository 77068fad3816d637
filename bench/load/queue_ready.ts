/** Waiting until a dsync node answers queue commands, for `bench/load/queue_bench.ts`. */
import { RespPipeline } from "./resp_pipeline.ts";
import { CommandsNotServedError } from "./queue_workload.ts";
import { QUEUES_NOT_SERVED } from "./dsync_queue_client.ts";

const POLL_INTERVAL_MS = 200;
const CALL_TIMEOUT_MS = 2_000;

/**
 * Polls `QUEUE.LEN queue` on 127.0.0.1:`port` until it answers an integer (every partition's
 * group has a leader). Throws CommandsNotServedError at once on an unknown-command error, and an
 * Error after `timeoutMs`.
 */
export async function waitQueuesReady(
  port: number,
  queue: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    const pipeline = await RespPipeline.open(port).catch(() => null);
    if (pipeline !== null) {
      try {
        const [reply] = await pipeline.calls([["QUEUE.LEN", queue]], CALL_TIMEOUT_MS);
        if (reply!.type === "integer") return;
        if (reply!.type === "error" && /^ERR unknown command/i.test(reply!.value)) {
          throw new CommandsNotServedError(`${QUEUES_NOT_SERVED} (QUEUE.LEN: -${reply!.value})`);
        }
        last = JSON.stringify(reply);
      } catch (error) {
        if (error instanceof CommandsNotServedError) throw error;
        last = error instanceof Error ? error.message : String(error);
      } finally {
        pipeline.close();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`dsync did not answer QUEUE.LEN within ${timeoutMs} ms: ${last}`);
}
