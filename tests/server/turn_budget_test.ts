import assert from "node:assert/strict";
import { TurnBudget } from "../../src/server/turn_budget.ts";

Deno.test("work beyond a turn's slice waits for later turns, in arrival order", async () => {
  let nowMs = 0;
  const budget = new TurnBudget(10, () => nowMs);
  assert.ok(budget.tryTake(), "the first slice of a turn runs at once");
  nowMs = 11;
  assert.equal(budget.tryTake(), false, "the turn's slice is spent");
  let timerRan = false;
  setTimeout(() => timerRan = true, 0);
  const order: number[] = [];
  const waits = [1, 2, 3].map((i) => budget.nextTurn().then(() => order.push(i)));
  assert.equal(budget.waitingCount, 3);
  assert.equal(budget.tryTake(), false, "nobody overtakes the waiters");
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.deepEqual(order, [], "waiters resume in a later task, not in this turn's microtasks");
  await Promise.all(waits);
  assert.ok(timerRan, "a timer due before the waiters ran before they resumed");
  assert.deepEqual(order, [1, 2, 3]);
});

Deno.test("a slow slice leaves the rest of the waiters for another turn", async () => {
  let nowMs = 0;
  const budget = new TurnBudget(10, () => nowMs);
  budget.tryTake();
  nowMs = 20;
  const resumedAt: number[] = [];
  const waits = [1, 2].map(() =>
    budget.nextTurn().then(() => {
      resumedAt.push(nowMs);
      nowMs += 15; // each slice takes longer than the budget
    })
  );
  await Promise.all(waits);
  assert.deepEqual(resumedAt, [20, 35]);
});

Deno.test("the slice must be positive", () => {
  assert.throws(() => new TurnBudget(0), RangeError);
});

Deno.test("hasTime tells a running slice whether the turn's window is spent, taking nothing", async () => {
  let nowMs = 0;
  const budget = new TurnBudget(10, () => nowMs);
  assert.ok(budget.hasTime(), "no window open yet");
  assert.ok(budget.tryTake());
  nowMs = 9;
  assert.ok(budget.hasTime());
  nowMs = 10;
  assert.equal(budget.hasTime(), false, "a slice that ran 10 ms ends early");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.ok(budget.hasTime(), "a new turn has time again");
});
