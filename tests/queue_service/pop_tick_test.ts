/**
 * A POP on a partition with a due event (a lapsed visibility) proposes the tick and its deliver
 * together, one round: the deliver does not wait for the tick's commit before it is proposed.
 */
import assert from "node:assert/strict";
import type { RaftHost } from "../../src/consensus/raft_host.ts";
import { Logger } from "../../src/log/logger.ts";
import { decodeQueueOp, type QueueRequest } from "../../src/queues/mod.ts";
import { QueueMachine } from "../../src/queue_service/queue_machine.ts";
import { QueueService } from "../../src/queue_service/queue_service.ts";

const SLOT = 5;
const VISIBILITY_MS = 100;

/** A leading host that queues proposals until `commit()` applies them in log order. */
class ManualHost {
  readonly leading = true;
  readonly proposed: string[] = [];
  #index = 0;
  readonly #waiting: Array<{ index: number; data: Uint8Array; resolve: (v: unknown) => void }> = [];
  constructor(readonly machine: QueueMachine) {}

  propose(data: Uint8Array): Promise<unknown> {
    this.proposed.push(decodeQueueOp(data.subarray(1)).op);
    const index = ++this.#index;
    return new Promise((resolve) => this.#waiting.push({ index, data, resolve }));
  }

  /** Applies every waiting proposal in order and answers each. */
  commit(): void {
    for (const { index, data, resolve } of this.#waiting.splice(0)) {
      resolve(this.machine.apply(index, data.subarray(1)));
    }
  }
}

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

Deno.test("a POP with a due tick proposes the tick and the deliver in one round", async () => {
  let nowMs = 1_000;
  const machine = new QueueMachine({}, () => nowMs, () => {});
  const host = new ManualHost(machine);
  const service = new QueueService({
    entryBytesMax: 1 << 20,
    timerCheckMs: 1_000_000,
    nowMs: () => nowMs,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
    slotOf: (slot) =>
      slot === SLOT ? { host: host as unknown as RaftHost<unknown>, machine } : undefined,
    hosted: () => [[SLOT, { host: host as unknown as RaftHost<unknown>, machine }]],
  });
  const queue = new TextEncoder().encode("jobs");
  const push: QueueRequest = {
    command: "push",
    queue,
    payload: Uint8Array.of(1),
    key: null,
    delayMs: 0,
    ttlMs: null,
    priority: "normal",
    dedupId: null,
  } as QueueRequest;
  const pop: QueueRequest = {
    command: "pop",
    queue,
    visibilityMs: VISIBILITY_MS,
    waitMs: 0,
    count: 1,
  };

  const pushed = service.run(SLOT, push, 0, 1);
  await settle();
  host.commit();
  await pushed;
  const first = service.run(SLOT, pop, 0, 1);
  await settle();
  host.commit();
  const firstAnswer = await first;
  assert.equal(firstAnswer.kind, "messages");
  assert.equal(firstAnswer.kind === "messages" && firstAnswer.messages.length, 1);

  // The visibility lapses: the next POP must tick first, then deliver the message again.
  nowMs += VISIBILITY_MS + 1;
  host.proposed.length = 0;
  const second = service.run(SLOT, pop, 0, 1);
  await settle();
  // Before anything commits, both are proposed (the old service waited for the tick's commit).
  assert.deepEqual(host.proposed, ["tick", "deliver"]);
  host.commit();
  const answer = await second;
  assert.equal(answer.kind, "messages");
  if (answer.kind !== "messages") return;
  assert.equal(answer.messages.length, 1, "the lapsed message is delivered again");
  assert.equal(answer.messages[0]!.deliveries, 2);
});
