import assert from "node:assert/strict";
import { cpuMsPerOp, leastSquaresSlope, quantile } from "../../bench/report/parts/scale/slope.ts";
import { parseStatusRssBytes } from "../../bench/load/process_memory.ts";

Deno.test("leastSquaresSlope recovers bytes per item from an exact line", () => {
  const points = [0, 10_000, 20_000, 30_000].map((x) => ({ x, y: 80e6 + 412 * x }));
  assert.ok(Math.abs(leastSquaresSlope(points) - 412) < 1e-9);
});

Deno.test("leastSquaresSlope averages out noise that is symmetric about the line", () => {
  const noise = [+5000, -5000, -5000, +5000];
  const points = [0, 1000, 2000, 3000].map((x, i) => ({ x, y: 1e6 + 100 * x + noise[i]! }));
  assert.ok(Math.abs(leastSquaresSlope(points) - 100) < 1e-9);
});

Deno.test("leastSquaresSlope is negative when memory shrinks (a GC between readings)", () => {
  assert.equal(leastSquaresSlope([{ x: 0, y: 500 }, { x: 10, y: 400 }]), -10);
});

Deno.test("leastSquaresSlope refuses one point and points on one x", () => {
  assert.throws(() => leastSquaresSlope([{ x: 1, y: 1 }]), RangeError);
  assert.throws(() => leastSquaresSlope([{ x: 1, y: 1 }, { x: 1, y: 2 }]), RangeError);
});

Deno.test("quantile takes the nearest rank", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted order
  assert.equal(quantile(values, 0.5), 50);
  assert.equal(quantile(values, 0.99), 99);
  assert.equal(quantile(values, 1), 100);
  assert.equal(quantile(values, 0), 1);
  assert.equal(quantile([7], 0.99), 7);
  assert.throws(() => quantile([], 0.5), RangeError);
  assert.throws(() => quantile([1], 1.5), RangeError);
});

Deno.test("cpuMsPerOp divides server CPU by operations and is null without any", () => {
  assert.equal(cpuMsPerOp(1500, 600), 2.5);
  assert.equal(cpuMsPerOp(1500, 0), null);
});

Deno.test("parseStatusRssBytes reads VmRSS in kB as bytes", () => {
  const status = "Name:\tdeno\nVmPeak:\t  999 kB\nVmRSS:\t   81234 kB\nRssAnon:\t 7 kB\n";
  assert.equal(parseStatusRssBytes(status), 81234 * 1024);
  assert.equal(parseStatusRssBytes("Name:\tkthreadd\n"), null);
});
