import assert from "node:assert/strict";
import { HistoryRecorder } from "./history.ts";
import { type FakeQueueFault, startFakeQueueServer } from "./fake_queue_server.ts";
import { judgeQueueRun } from "./runner/queue_verdict.ts";
import { drainQueue, QUEUE_WORKLOAD_DEFAULTS, runQueueWorkload } from "./runner/queue_workload.ts";
import type { RunVerdict } from "./runner/verdict_report.ts";

const CLIENT_COUNT = 4;
const WORKLOAD_MS = 1_500;

/** The queue workload and drain against the fake server, judged as a chaos run would be. */
async function runAgainstFake(fault: FakeQueueFault): Promise<RunVerdict> {
  const server = startFakeQueueServer(fault);
  try {
    const originMs = performance.now();
    const recorder = new HistoryRecorder(() => performance.now() - originMs);
    const endMs = originMs + WORKLOAD_MS;
    await runQueueWorkload(recorder, {
      ports: [server.port],
      seed: 7,
      clientCount: CLIENT_COUNT,
      keyCount: 2,
      pushShare: 0.7,
      visibilityMs: 150,
    }, () => performance.now() >= endMs);
    await drainQueue(recorder, [server.port], CLIENT_COUNT, QUEUE_WORKLOAD_DEFAULTS.queue, {
      quietMs: 400,
    });
    return judgeQueueRun(recorder.events(), {
      queue: QUEUE_WORKLOAD_DEFAULTS.queue,
      healMs: 0,
      recoveryMsMax: 10_000,
      unknownEffectWindowMs: 10_000,
      okCountMin: 100,
    });
  } finally {
    await server.close();
  }
}

Deno.test("queue workload: against a server that keeps the contract, the run passes", async () => {
  const verdict = await runAgainstFake("none");
  assert.equal(verdict.status, "pass", verdict.text);
  // The workload exercised every command, and the drain and final stats ran.
  for (const command of ["PUSH", "POP", "ACK", "NACK", "TOUCH", "STATS"]) {
    assert.match(verdict.text, new RegExp(`QUEUE\\.${command} ok [1-9]`), command);
  }
  assert.match(verdict.text, /none missing/);
  // Nacks and lapsed visibilities redeliver: the duplicates are counted and printed.
  assert.match(verdict.text, /duplicates: [1-9]\d* extra deliveries/);
});

Deno.test("queue workload: acknowledged pushes the server dropped are reported lost", async () => {
  const verdict = await runAgainstFake("lose-pushes");
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["queue-no-loss"], "fail", verdict.text);
  assert.match(verdict.text, /lost: op #\d+ .* pushed p\d+\.\d+ \(id 0-\d+\), acknowledged/);
});

Deno.test("queue workload: a message delivered again after an acked ACK is caught", async () => {
  const verdict = await runAgainstFake("ignore-acks");
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["queue-ack"], "fail", verdict.text);
  assert.match(verdict.text, /delivered-after-ack/);
});

Deno.test("queue workload: a server that serves a key newest first breaks key order", async () => {
  const verdict = await runAgainstFake("reorder-keys");
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["queue-key-order"], "fail", verdict.text);
  assert.match(verdict.text, /key-order: key k[01]: /);
});
