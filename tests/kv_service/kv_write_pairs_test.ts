import assert from "node:assert/strict";
import type { RaftHost } from "../../src/consensus/raft_host.ts";
import { Logger } from "../../src/log/logger.ts";
import { decodeKvOp, type KvOp, kvOpBytes } from "../../src/kv/mod.ts";
import { KvMachine } from "../../src/kv_service/kv_machine.ts";
import { KvService } from "../../src/kv_service/kv_service.ts";

const encoder = new TextEncoder();
const logger = new Logger({ level: "error", format: "text", sink: () => {} });

/** A KvService over one slot whose "Raft group" applies each proposal at once, in order. */
function serviceOf(entryBytesMax: number) {
  const machine = new KvMachine({}, () => 0);
  const proposed: KvOp[] = [];
  let index = 0;
  const host = {
    leading: true,
    propose: (data: Uint8Array) => {
      proposed.push(decodeKvOp(data));
      return Promise.resolve(machine.apply(++index, data));
    },
  } as unknown as RaftHost<unknown>;
  const hosted = { host, machine };
  const service = new KvService({
    slotOf: (slot) => slot === 3 ? hosted : undefined,
    hosted: () => [[3, hosted]],
    entryBytesMax,
    expiryCheckMs: 1000,
    nowMs: () => 0,
    logger,
  });
  return { service, machine, proposed };
}

function pair(key: string, bytes: number) {
  return { key: encoder.encode(key), value: new Uint8Array(bytes).fill(7) };
}

Deno.test("writePairs: plain SETs of one slot go as few mset entries as fit entryBytesMax", async () => {
  const pairs = Array.from({ length: 10 }, (_, i) => pair(`k${i}`, 100));
  const perPair = kvOpBytes({ op: "mset", pairs: [pairs[0]!] }) -
    kvOpBytes({ op: "mset", pairs: [] });
  // Room for four pairs per entry.
  const entryBytesMax = kvOpBytes({ op: "mset", pairs: [] }) + 4 * perPair;
  const { service, machine, proposed } = serviceOf(entryBytesMax);
  const results = await service.writePairs(3, pairs);
  assert.deepEqual(proposed.map((op) => op.op === "mset" ? op.pairs.length : 0), [4, 4, 2]);
  for (const op of proposed) assert.ok(kvOpBytes(op) <= entryBytesMax);
  assert.equal(results.length, 10);
  results.forEach((result, i) => {
    assert.deepEqual(result, {
      kind: "written",
      applied: true,
      value: pairs[i]!.value,
      ttlRemainingMs: null,
    });
    assert.deepEqual(machine.slot.entry(pairs[i]!.key)?.value, pairs[i]!.value);
  });
});

Deno.test("writePairs: a pair too large for an entry alone is refused, the others written", async () => {
  const small = pair("a", 10);
  const large = pair("b", 1000);
  const entryBytesMax = kvOpBytes({ op: "mset", pairs: [small] }) + 50;
  const { service, machine, proposed } = serviceOf(entryBytesMax);
  const [first, second] = await service.writePairs(3, [small, large]);
  assert.equal(first?.kind, "written");
  assert.equal(second?.kind, "refused");
  assert.match(second?.kind === "refused" ? second.line : "", /^LIMIT operation of \d+ bytes/);
  assert.equal(proposed.length, 1);
  assert.equal(machine.slot.entry(large.key), undefined);
});

Deno.test("writePairs: a slot not led here is TRYAGAIN, nothing proposed", async () => {
  const { service, proposed } = serviceOf(1 << 20);
  await assert.rejects(service.writePairs(4, [pair("a", 1)]), /TRYAGAIN|not led/);
  assert.equal(proposed.length, 0);
});
