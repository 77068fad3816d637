import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelayMs } from "../../src/peer/backoff.ts";

const policy = { baseDelayMs: 50, maxDelayMs: 2_000 };

Deno.test("backoff doubles per attempt, is capped, and jitter keeps it in [half, full]", () => {
  assert.equal(backoffDelayMs(policy, 0, 0), 25);
  assert.equal(backoffDelayMs(policy, 0, 0.999999), 50);
  assert.equal(backoffDelayMs(policy, 3, 0), 200);
  assert.equal(backoffDelayMs(policy, 100, 0.999999), 2_000);
  fc.assert(
    fc.property(
      fc.nat(1_000),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, random) => {
        const delay = backoffDelayMs(policy, attempt, random);
        const ceiling = Math.min(
          policy.maxDelayMs,
          policy.baseDelayMs * 2 ** Math.min(attempt, 30),
        );
        return delay >= ceiling / 2 - 1 && delay <= ceiling && delay <= policy.maxDelayMs;
      },
    ),
  );
});
