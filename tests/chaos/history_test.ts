import assert from "node:assert/strict";
import { HistoryRecorder, outcomeOfError, pairOperations } from "./history.ts";
import { historyFromJson, historyToJson } from "./history_json.ts";
import { AssertionError } from "../../src/util/assert.ts";

function fakeClock(): () => number {
  let nowMs = 100;
  return () => (nowMs += 5);
}

Deno.test("history: the recorder stamps events and pairs them into operations", () => {
  const recorder = new HistoryRecorder(fakeClock());
  recorder.invoke(1, "LOCK.ACQUIRE", ["L", "a"]);
  recorder.invoke(2, "LOCK.ACQUIRE", ["L", "b"]);
  recorder.ok(2, 7);
  recorder.info(1, "TIMEOUT");
  recorder.invoke(1, "LOCK.INFO", ["L"]);
  recorder.fail(1, "NOQUORUM no majority");
  recorder.invoke(3, "LOCK.RELEASE", ["L", "c"]);
  const events = recorder.events();
  assert.deepEqual(events.map((e) => [e.eventIndex, e.type, e.process, e.timeMs]), [
    [0, "invoke", 1, 105],
    [1, "invoke", 2, 110],
    [2, "ok", 2, 115],
    [3, "info", 1, 120],
    [4, "invoke", 1, 125],
    [5, "fail", 1, 130],
    [6, "invoke", 3, 135],
  ]);
  assert.equal(recorder.pendingCount, 1);
  const ops = pairOperations(events);
  assert.deepEqual(
    ops.map((op) => [op.opIndex, op.process, op.outcome, op.result, op.invokeMs, op.completeMs]),
    [
      [0, 1, "info", "TIMEOUT", 105, 120],
      [1, 2, "ok", 7, 110, 115],
      [2, 1, "fail", "NOQUORUM no majority", 125, 130],
      [3, 3, "info", null, 135, null],
    ],
  );
  assert.deepEqual(ops[1]!.args, ["L", "b"]);
});

Deno.test("history: recorder misuse is an assertion, a full history a RangeError", () => {
  const recorder = new HistoryRecorder(fakeClock(), 2);
  assert.throws(() => recorder.ok(1, null), AssertionError);
  recorder.invoke(1, "PING", []);
  assert.throws(() => recorder.invoke(1, "PING", []), AssertionError);
  recorder.ok(1, "PONG");
  assert.throws(
    () => recorder.invoke(1, "PING", []),
    new RangeError("Cannot record event: history holds 2 events, the maximum of 2"),
  );
  let nowMs = 10;
  const backwards = new HistoryRecorder(() => (nowMs -= 1));
  backwards.invoke(1, "PING", []);
  assert.throws(() => backwards.ok(1, "PONG"), AssertionError);
});

Deno.test("history: run() records ok, fail and unknown by the error's code", async () => {
  const recorder = new HistoryRecorder(fakeClock());
  assert.equal(await recorder.run(1, "PING", [], () => Promise.resolve("PONG")), "PONG");
  await assert.rejects(recorder.run(1, "X", [], () => Promise.reject(new Error("TRYAGAIN x"))));
  await assert.rejects(recorder.run(1, "X", [], () => Promise.reject(new Error("TIMEOUT x"))));
  assert.deepEqual(recorder.events().filter((e) => e.type !== "invoke").map((e) => e.type), [
    "ok",
    "fail",
    "info",
  ]);
});

Deno.test("history: error codes sort into definitely-failed and unknown", () => {
  for (const text of ["-TRYAGAIN election", "NOQUORUM", "DEADLOCK a->b->a", "ERR bad arity"]) {
    assert.equal(outcomeOfError(text), "fail", text);
  }
  for (const text of ["-TIMEOUT", "connection reset by peer", "", "ERRX"]) {
    assert.equal(outcomeOfError(text), "info", text);
  }
});

Deno.test("history: JSON round trip and validation", () => {
  const recorder = new HistoryRecorder(fakeClock());
  recorder.invoke(0, "LOCK.INFO", ["L"]);
  recorder.ok(0, ["exclusive", [["a", 3, 1000]], []]);
  recorder.invoke(1, "LOCK.ACQUIRE", ["L", "b", "SHARED"]);
  const text = historyToJson(recorder.events());
  assert.equal(text.split("\n").length, 6);
  assert.deepEqual(historyFromJson(text), recorder.events());
  assert.deepEqual(historyFromJson(historyToJson([])), []);
  assert.throws(() => historyFromJson("{"), SyntaxError);
  assert.throws(() => historyFromJson("{}"), /expected a JSON array/);
  const events = JSON.parse(text);
  events[1].type = "done";
  assert.throws(() => historyFromJson(JSON.stringify(events)), /event 1 has type "done"/);
  events[1].type = "ok";
  events[1].timeMs = 1;
  assert.throws(() => historyFromJson(JSON.stringify(events)), /event 1 time 1 ms precedes/);
  events[1].eventIndex = 5;
  assert.throws(() => historyFromJson(JSON.stringify(events)), /has eventIndex 5, expected 1/);
});

Deno.test("history: pairing refuses inconsistent histories", () => {
  const base = { op: "PING", args: [], result: null, timeMs: 0 };
  assert.throws(
    () => pairOperations([{ ...base, eventIndex: 0, type: "ok", process: 1 }]),
    /event 0 completes process 1, which has no pending operation/,
  );
  assert.throws(
    () =>
      pairOperations([
        { ...base, eventIndex: 0, type: "invoke", process: 1 },
        { ...base, eventIndex: 1, type: "invoke", process: 1 },
      ]),
    /event 1 invokes on process 1, which already has a pending operation/,
  );
});
