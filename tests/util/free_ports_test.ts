import assert from "node:assert/strict";
import { freePort, freePortRange } from "../../src/util/free_ports.ts";

Deno.test("free ports: below the ephemeral range, bindable, never handed out twice", () => {
  const ports = Array.from({ length: 200 }, () => freePort());
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) {
    assert.ok(port >= 20_000 && port < 32_768, `port ${port}`);
  }
  Deno.listen({ hostname: "127.0.0.1", port: ports[0]! }).close();
  const base = freePortRange(3, [0, 100]);
  assert.ok(base >= 20_000 && base + 103 <= 32_768, `base ${base}`);
  for (const port of [base, base + 1, base + 2, base + 100, base + 101, base + 102]) {
    assert.ok(!ports.includes(port), `range port ${port} handed out before`);
  }
});
