import assert from "node:assert/strict";
import {
  type BoundInputs,
  computeBounds,
  SATURATED_FRACTION,
} from "../../bench/report/parts/scale/bounds.ts";

const BASE: BoundInputs = {
  cores: 2,
  serverCpuMsPerOp: 4,
  clientCpuMsPerOp: 1,
  fsyncP50Ms: 2,
  fsyncsPerOp: 2,
  clientCount: 64,
  measuredOpsPerSecond: 100,
};

Deno.test("computeBounds derives both ceilings from cores, CPU per op and fsync latency", () => {
  const bounds = computeBounds(BASE);
  assert.equal(bounds.cpuCeilingOpsPerSecond, 500); // 2 x 1000 / 4
  assert.equal(bounds.sharedCpuCeilingOpsPerSecond, 400); // 2 x 1000 / (4 + 1)
  assert.equal(bounds.fsyncSerialCeilingOpsPerSecond, 250); // 1000 / (2 ms x 2)
  assert.equal(bounds.fsyncBatchedCeilingOpsPerSecond, 16_000); // 250 x 64
  assert.equal(bounds.cpuUtilisation, 0.25); // 100 / 400
  assert.equal(bounds.opsPerFsyncRound, 0.4); // 100 / 250
});

Deno.test("computeBounds says CPU binds once the cores are nearly all used", () => {
  const atCeiling = computeBounds({ ...BASE, measuredOpsPerSecond: 400 * SATURATED_FRACTION });
  assert.equal(atCeiling.binding, "cpu");
  const below = computeBounds({ ...BASE, measuredOpsPerSecond: 400 * SATURATED_FRACTION - 1 });
  assert.notEqual(below.binding, "cpu");
});

Deno.test("computeBounds says fsync binds when each fsync round carries about one op", () => {
  // Cheap CPU, slow disk: 10 ms fsync, 2 per op = 50 ops/s serially; 55 ops/s measured.
  const bounds = computeBounds({
    ...BASE,
    serverCpuMsPerOp: 0.1,
    clientCpuMsPerOp: 0.1,
    fsyncP50Ms: 10,
    measuredOpsPerSecond: 55,
  });
  assert.equal(bounds.binding, "fsync");
});

Deno.test("computeBounds does not blame fsync for a rate below even serial fsyncs", () => {
  // 250 cycles/s serially; 90 measured with 25 % of the cores: waiting, not the disk's p50.
  const bounds = computeBounds({ ...BASE, measuredOpsPerSecond: 90 });
  assert.equal(bounds.opsPerFsyncRound, 0.36);
  assert.equal(bounds.binding, "neither");
});

Deno.test("computeBounds says neither binds when CPU is spare and commits batch well", () => {
  const bounds = computeBounds({
    ...BASE,
    serverCpuMsPerOp: 0.5,
    clientCpuMsPerOp: 0.5,
    fsyncP50Ms: 2,
    measuredOpsPerSecond: 1000, // 50 % of 2000 cycles/s; 4 cycles per fsync round
  });
  assert.equal(bounds.cpuUtilisation, 0.5);
  assert.equal(bounds.opsPerFsyncRound, 4);
  assert.equal(bounds.binding, "neither");
});

Deno.test("computeBounds refuses a zero or non-finite input", () => {
  assert.throws(() => computeBounds({ ...BASE, serverCpuMsPerOp: 0 }), RangeError);
  assert.throws(() => computeBounds({ ...BASE, fsyncP50Ms: NaN }), RangeError);
  assert.throws(() => computeBounds({ ...BASE, cores: -1 }), RangeError);
});
