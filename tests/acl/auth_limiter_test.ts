import assert from "node:assert/strict";
import { AuthLimiter, hostOf } from "../../src/acl/auth_limiter.ts";

const limits = { failuresBurst: 3, refillMs: 1_000, addressesMax: 2 };

Deno.test("auth limiter: a burst of failures, then one attempt per refill period", () => {
  const limiter = new AuthLimiter(limits);
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.retryAfterMs("10.0.0.1:5000", 0), 0);
    limiter.failed("10.0.0.1:5000", 0);
  }
  assert.equal(limiter.retryAfterMs("10.0.0.1:5001", 0), 1_000, "another port of the same host");
  assert.equal(limiter.retryAfterMs("10.0.0.1:5001", 400), 600);
  assert.equal(limiter.retryAfterMs("10.0.0.2:5000", 0), 0, "other hosts are not affected");
  assert.equal(limiter.retryAfterMs("10.0.0.1:5000", 1_000), 0, "one token back after 1 s");
  limiter.failed("10.0.0.1:5000", 1_000);
  assert.ok(limiter.retryAfterMs("10.0.0.1:5000", 1_000) > 0);
  assert.equal(limiter.refusedCount, 3);
});

Deno.test("auth limiter: a full bucket is forgotten, and the table is bounded", () => {
  const limiter = new AuthLimiter(limits);
  limiter.failed("a:1", 0);
  assert.equal(limiter.addressCount, 1);
  assert.equal(limiter.retryAfterMs("a:1", 5_000), 0);
  assert.equal(limiter.addressCount, 0, "refilled to the burst: forgotten");
  for (const host of ["a", "b", "c", "d"]) limiter.failed(`${host}:1`, 10_000);
  assert.equal(limiter.addressCount, 2, "at most addressesMax hosts");
});

Deno.test("auth limiter: hostOf strips the port, IPv6 included", () => {
  assert.equal(hostOf("127.0.0.1:6379"), "127.0.0.1");
  assert.equal(hostOf("[::1]:6379"), "[::1]");
  assert.equal(hostOf("peer n3"), "peer n3");
});
