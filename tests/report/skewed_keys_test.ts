import assert from "node:assert/strict";
import { SkewedKeyPicker } from "../../bench/report/parts/cache/skewed_keys.ts";
import { SeededRandom } from "../../src/raft/random.ts";

/** How often each rank is picked in `draws` draws from a seeded generator. */
function histogram(picker: SkewedKeyPicker, draws: number, seed: number): number[] {
  const counts = new Array<number>(picker.keyCount).fill(0);
  const random = new SeededRandom(seed);
  for (let i = 0; i < draws; i++) counts[picker.pick(random.next())]!++;
  return counts;
}

Deno.test("probabilities follow 1/(rank+1)^s and sum to one", () => {
  const picker = new SkewedKeyPicker(10_000, 0.99);
  let total = 0;
  for (let rank = 0; rank < picker.keyCount; rank++) total += picker.probability(rank);
  assert.ok(Math.abs(total - 1) < 1e-9);
  // p(r) / p(0) = 1 / (r + 1)^s
  for (const rank of [1, 9, 99, 9_999]) {
    const expected = 1 / Math.pow(rank + 1, 0.99);
    assert.ok(Math.abs(picker.probability(rank) / picker.probability(0) - expected) < 1e-9);
  }
});

Deno.test("drawn frequencies match the probabilities (chi-square on the top ranks)", () => {
  const picker = new SkewedKeyPicker(10_000, 0.99);
  const draws = 200_000;
  const counts = histogram(picker, draws, 7);
  // The 20 hottest ranks one by one, the rest in one bucket: 20 degrees of freedom.
  let chiSquare = 0;
  let restExpected = draws;
  let restCount = draws;
  for (let rank = 0; rank < 20; rank++) {
    const expected = picker.probability(rank) * draws;
    chiSquare += (counts[rank]! - expected) ** 2 / expected;
    restExpected -= expected;
    restCount -= counts[rank]!;
  }
  chiSquare += (restCount - restExpected) ** 2 / restExpected;
  // The 99.9th percentile of chi-square with 20 degrees of freedom is 45.3.
  assert.ok(chiSquare < 45.3, `chi-square ${chiSquare.toFixed(1)}`);
  // Skewed indeed: the hottest 1 % of keys take far more than 1 % of the draws.
  const top = counts.slice(0, 100).reduce((sum, count) => sum + count, 0);
  assert.ok(top / draws > 0.5, `top 1 % share ${(top / draws).toFixed(3)}`);
});

Deno.test("exponent 0 is uniform", () => {
  const picker = new SkewedKeyPicker(10, 0);
  for (let rank = 0; rank < 10; rank++) {
    assert.ok(Math.abs(picker.probability(rank) - 0.1) < 1e-12);
  }
  const counts = histogram(picker, 100_000, 3);
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 600, `count ${count}`);
});

Deno.test("pick maps the unit interval onto every rank, edges included", () => {
  const picker = new SkewedKeyPicker(4, 1);
  assert.equal(picker.pick(0), 0);
  assert.equal(picker.pick(0.999_999_999), 3);
  // Cumulative: 0.48, 0.72, 0.88, 1 (weights 1, 1/2, 1/3, 1/4 over 25/12).
  assert.equal(picker.pick(0.47), 0);
  assert.equal(picker.pick(0.49), 1);
  assert.equal(picker.pick(0.73), 2);
  assert.equal(picker.pick(0.89), 3);
});

Deno.test("equal seeds give equal key sequences", () => {
  const picker = new SkewedKeyPicker(1_000, 0.99);
  assert.deepEqual(histogram(picker, 1_000, 11), histogram(picker, 1_000, 11));
  assert.notDeepEqual(histogram(picker, 1_000, 11), histogram(picker, 1_000, 12));
});

Deno.test("bad sizes are refused", () => {
  assert.throws(() => new SkewedKeyPicker(0, 1), RangeError);
  assert.throws(() => new SkewedKeyPicker(2_000_000, 1), RangeError);
  assert.throws(() => new SkewedKeyPicker(10, -1), RangeError);
  assert.throws(() => new SkewedKeyPicker(10, Number.NaN), RangeError);
});
