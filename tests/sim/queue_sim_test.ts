import assert from "node:assert/strict";
import type { QueueOp } from "../../src/queues/mod.ts";
import { decodeQueueOp } from "../../src/queues/mod.ts";
import type { QueueMutant } from "./queue_app.ts";
import { QueueWorkload, runQueueSeed } from "./queue_workload.ts";
import type { SeedResult } from "./random_run.ts";

/** Seeds run by the main test (bounded: the whole file stays under about 20 s on one core). */
const QUEUE_SEED_COUNT = 60;

function failureText(result: SeedResult): string {
  return `seed ${result.seed} (${result.shape}): ${result.error}\n` +
    result.trace.slice(-40).join("\n");
}

Deno.test(`sim queues: ${QUEUE_SEED_COUNT} seeds lose no message, keep key order, counts add up`, async () => {
  const totals = new Map<string, number>();
  const add = (key: string, value: number) => totals.set(key, (totals.get(key) ?? 0) + value);
  for (let seed = 1; seed <= QUEUE_SEED_COUNT; seed++) {
    const workload = new QueueWorkload();
    const result = await runQueueSeed(seed, undefined, workload);
    assert.equal(result.error, null, failureText(result));
    const checked = workload.result!;
    add("acknowledgedPushes", checked.acknowledgedPushes);
    add("messages", checked.messages);
    add("redeliveries", checked.redeliveries);
    add("deadLetters", checked.deadLetters);
    add("dropped", checked.dropped);
    add("unknown", workload.stats.unknown);
    add("comparisons", workload.history.comparisons);
    add("restores", workload.history.restores);
  }
  console.log(JSON.stringify(Object.fromEntries(totals)));
  // The workload must exercise what the checks are about, not pass vacuously.
  for (const key of ["acknowledgedPushes", "redeliveries", "deadLetters", "dropped", "unknown"]) {
    assert.ok((totals.get(key) ?? 0) > 20, `only ${totals.get(key)} ${key}`);
  }
  assert.ok(totals.get("restores")! > 50, `only ${totals.get("restores")} snapshot restores`);
  assert.ok(totals.get("comparisons")! > 1000, "few cross-node comparisons");
});

/** Seeds a mutant is run on at most; it must be caught by one of them. */
const MUTANT_SEEDS_MAX = 6;

/** Runs seeds 1.. with `mutant` until one fails; returns that failure's text. */
async function firstCatch(mutant: QueueMutant): Promise<string> {
  for (let seed = 1; seed <= MUTANT_SEEDS_MAX; seed++) {
    const result = await runQueueSeed(seed, undefined, new QueueWorkload(mutant));
    if (result.error !== null) return `seed ${seed}: ${result.error}`;
  }
  return "not caught";
}

/** An ACK removes another live message of its partition (and answers found). */
const ackRemovesAnother: QueueMutant = (_node, slot, index, bytes) => {
  const op = decodeQueueOp(bytes);
  if (op.op !== "ack") return slot.apply(index, op);
  const other = slot.messages(op.queue, op.partition).find((m) => m.sequence !== op.sequence);
  const wrong: QueueOp = other === undefined ? op : { ...op, sequence: other.sequence };
  return slot.apply(index, wrong);
};

/** A deliver is applied only by the node leading when it applies it (not replicated). */
const popNotReplicated: QueueMutant = (_node, slot, index, bytes, leading) => {
  const op = decodeQueueOp(bytes);
  if (op.op === "deliver" && !leading) return { kind: "delivered", messages: [] };
  return slot.apply(index, op);
};

Deno.test("sim queues: an ACK that removes the wrong message is caught", async () => {
  const caught = await firstCatch(ackRemovesAnother);
  assert.match(caught, /Queue checker: .*(lost|delivered after its ack)/);
});

Deno.test("sim queues: a POP that is not replicated is caught", async () => {
  const caught = await firstCatch(popNotReplicated);
  assert.match(caught, /queue state machine safety: .* applied deliver at \d+/);
});
