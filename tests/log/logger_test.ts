import assert from "node:assert/strict";
import { Logger } from "../../src/log/logger.ts";

const clock = () => new Date("2026-01-02T03:04:05.678Z");

Deno.test("text lines carry level, message and quoted fields; lower levels are dropped", () => {
  const lines: string[] = [];
  const logger = new Logger({ level: "info", format: "text", sink: (l) => lines.push(l), clock }, {
    node: "n1",
  });
  logger.debug("hidden");
  logger.with({ component: "peer" }).warn("peer down", { peer: "n2", reason: "closed by peer" });
  assert.deepEqual(lines, [
    '2026-01-02T03:04:05.678Z WARN  peer down node=n1 component=peer peer=n2 reason="closed by peer"',
  ]);
});

Deno.test("json lines are one object each", () => {
  const lines: string[] = [];
  const logger = new Logger({ level: "debug", format: "json", sink: (l) => lines.push(l), clock });
  logger.debug("x", { count: 3, skipped: undefined });
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: "2026-01-02T03:04:05.678Z",
    level: "debug",
    msg: "x",
    count: 3,
  });
});
