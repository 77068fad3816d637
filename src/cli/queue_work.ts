import type { DsyncClient } from "../client/mod.ts";
import { forwardSignals, startCommand } from "./child_command.ts";

/** Between SIGTERM and SIGKILL when a message is lost under its command, in ms. */
const LOST_GRACE_MS = 5_000;

/** How `dsync queue work` runs. */
export interface QueueWorkOptions {
  concurrency: number;
  visibilityMs: number;
}

/**
 * `dsync queue work QUEUE -- COMMAND`: runs COMMAND once per message, its payload on stdin and
 * DSYNC_QUEUE, DSYNC_MESSAGE_ID, DSYNC_DELIVERY_COUNT in its environment; exit 0 acks, any other
 * status nacks. Runs until SIGINT/SIGTERM/SIGHUP, then lets running commands finish; returns 0.
 */
export async function queueWork(
  client: DsyncClient,
  queue: string,
  argv: string[],
  options: QueueWorkOptions,
): Promise<number> {
  const consumer = client.queue.consume(queue, async (message, { signal }) => {
    const running = startCommand(argv, {
      DSYNC_QUEUE: queue,
      DSYNC_MESSAGE_ID: message.id,
      DSYNC_DELIVERY_COUNT: String(message.deliveryCount),
    }, message.payload);
    if (running === null) throw new Error(`cannot run '${argv[0]}'`);
    const onLost = () => running.terminate(LOST_GRACE_MS);
    signal.addEventListener("abort", onLost);
    const code = await running.status;
    signal.removeEventListener("abort", onLost);
    if (code !== 0) throw new Error(`message ${message.id}: command exited with status ${code}`);
  }, {
    concurrency: options.concurrency,
    visibilityMs: options.visibilityMs,
    onError: (error) =>
      console.error(`dsync queue work: ${error instanceof Error ? error.message : String(error)}`),
  });
  const undo = forwardSignals(() => void consumer.stop());
  await consumer.done;
  undo();
  return 0;
}
