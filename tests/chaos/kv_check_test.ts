import assert from "node:assert/strict";
import {
  type HistoryOperation,
  HistoryRecorder,
  type JsonValue,
  pairOperations,
} from "./history.ts";
import { checkKvHistory } from "./kv_check.ts";
import { KV_MODEL } from "./kv_model.ts";

type Step =
  | readonly [number, "invoke", string]
  | readonly [number, "ok" | "fail" | "info", JsonValue];

/** `[p, "invoke", "SET k v"]`, `[p, "ok", "OK"]`, ...; 10 ms per step. */
function kvOps(steps: readonly Step[]): HistoryOperation[] {
  let nowMs = 0;
  const recorder = new HistoryRecorder(() => nowMs);
  for (const [process, type, value] of steps) {
    if (type === "invoke") {
      const [name, ...args] = (value as string).split(" ");
      recorder.invoke(process, name!, args);
    } else if (type === "ok") recorder.ok(process, value);
    else if (type === "fail") recorder.fail(process, String(value));
    else recorder.info(process, String(value));
    nowMs += 10;
  }
  return pairOperations(recorder.events());
}

Deno.test("kv model: SET writes, DEL writes nil and answers the count, GET reads", () => {
  const ok = (output: string | number | null) => ({ kind: "ok" as const, output });
  assert.deepEqual(KV_MODEL.step(null, { kind: "set", key: "k", value: "a" }, ok("OK")), ["a"]);
  assert.deepEqual(KV_MODEL.step("a", { kind: "get", key: "k" }, ok("a")), ["a"]);
  assert.deepEqual(KV_MODEL.step("a", { kind: "get", key: "k" }, ok(null)), []);
  assert.deepEqual(KV_MODEL.step("a", { kind: "del", key: "k" }, ok(1)), [null]);
  assert.deepEqual(KV_MODEL.step(null, { kind: "del", key: "k" }, ok(1)), []);
  assert.deepEqual(KV_MODEL.step(null, { kind: "del", key: "k" }, { kind: "unknown" }), [null]);
});

Deno.test("kv check: concurrent writes and reads in a possible order pass, per key", () => {
  const result = checkKvHistory(kvOps([
    [1, "invoke", "SET a v1"],
    [2, "invoke", "GET a"],
    [1, "ok", "OK"],
    [2, "ok", "v1"], // overlapped the write: may see it
    [3, "invoke", "SET b w1"],
    [3, "ok", "OK"],
    [1, "invoke", "SET a v2"],
    [2, "invoke", "GET a"],
    [2, "ok", "v1"], // concurrent with v2: old value still allowed
    [1, "ok", "OK"],
    [2, "invoke", "DEL a"],
    [2, "ok", 1],
    [3, "invoke", "GET a"],
    [3, "ok", null],
    [3, "invoke", "GET b"],
    [3, "ok", "w1"],
    [1, "invoke", "SET a v3"],
    [1, "fail", "TRYAGAIN election"], // did not happen
    [1, "invoke", "GET a"],
    [1, "ok", null],
  ]));
  assert.deepEqual(result.verdict.valid, "yes", result.text);
  assert.deepEqual(result.verdict.partitionCount, 2);
  assert.deepEqual(result.keys.map((k) => [k.key, k.opCount]), [["a", 7], ["b", 2]]);
});

Deno.test("kv check: an unknown write may take effect late or never", () => {
  const ops = [
    [1, "invoke", "SET a v1"],
    [1, "info", "TIMEOUT"],
    [2, "invoke", "GET a"],
    [2, "ok", null], // not yet
    [2, "invoke", "GET a"],
    [2, "ok", "v1"], // now
  ] as const;
  const result = checkKvHistory(kvOps(ops));
  assert.deepEqual(result.verdict.valid, "yes", result.text);
  assert.deepEqual(result.keys[0]!.unknownCount, 1);
  assert.ok(result.text.includes("unknown writes: 1"), result.text);
});

Deno.test("kv check: a stale read after an acknowledged write fails", () => {
  const result = checkKvHistory(kvOps([
    [1, "invoke", "SET a v1"],
    [1, "ok", "OK"],
    [1, "invoke", "SET a v2"],
    [1, "ok", "OK"],
    [2, "invoke", "GET a"],
    [2, "ok", "v1"],
  ]));
  assert.equal(result.verdict.valid, "no", result.text);
  assert.ok(result.text.includes("linearizable: no"), result.text);
  assert.ok(result.text.includes('get a -> "v1"'), result.text);
  assert.ok(result.text.includes('read "v1", but the value is "v2"'), result.text);
});

Deno.test("kv check: a read of a value never written fails, even with unknown writes", () => {
  const result = checkKvHistory(kvOps([
    [1, "invoke", "SET a v1"],
    [1, "info", "TIMEOUT"],
    [2, "invoke", "GET a"],
    [2, "ok", "v9"],
  ]));
  assert.equal(result.verdict.valid, "no", result.text);
  assert.ok(result.text.includes('get a -> "v9"'), result.text);
});

Deno.test("kv check: a read after an acknowledged DEL sees nil, DEL's count is checked", () => {
  const stale = checkKvHistory(kvOps([
    [1, "invoke", "SET a v1"],
    [1, "ok", "OK"],
    [1, "invoke", "DEL a"],
    [1, "ok", 1],
    [2, "invoke", "GET a"],
    [2, "ok", "v1"],
  ]));
  assert.deepEqual(stale.verdict.valid, "no", stale.text);
  const wrongCount = checkKvHistory(kvOps([
    [1, "invoke", "DEL a"],
    [1, "ok", 1],
  ]));
  assert.deepEqual(wrongCount.verdict.valid, "no", wrongCount.text);
});

Deno.test("kv check: a failed write cannot be read; a reply of the wrong shape is refused", () => {
  const failed = checkKvHistory(kvOps([
    [1, "invoke", "SET a v1"],
    [1, "fail", "TRYAGAIN"],
    [2, "invoke", "GET a"],
    [2, "ok", "v1"],
  ]));
  assert.deepEqual(failed.verdict.valid, "no", failed.text);
  assert.throws(() => checkKvHistory(kvOps([[1, "invoke", "SET a v1"], [1, "ok", 1]])), TypeError);
});

Deno.test("kv check: the effect window bounds an unknown write", () => {
  const steps: Step[] = [[1, "invoke", "SET a v1"], [1, "info", "TIMEOUT"]];
  for (let i = 0; i < 10; i++) steps.push([2, "invoke", "GET a"], [2, "ok", null]);
  steps.push([2, "invoke", "GET a"], [2, "ok", "v1"]); // 210 ms after the invocation
  assert.deepEqual(checkKvHistory(kvOps(steps)).verdict.valid, "yes");
  const windowed = checkKvHistory(kvOps(steps), { unknownEffectWindowMs: 100 });
  assert.ok(windowed.verdict.valid === "no", windowed.text);
});
