import assert from "node:assert/strict";
import { parseCacheBackendUrl } from "../../src/config/cache_backend_url.ts";
import { buildNodeConfig } from "../../src/config/node_config.ts";

const base = {
  id: "n1",
  client: "127.0.0.1:7001",
  peer: "127.0.0.1:7101",
  peers: "n1=127.0.0.1:7101",
  data: "./data/n1",
};

Deno.test("--cache-backend: host, port, database and credentials; the password never shown", () => {
  assert.deepEqual(parseCacheBackendUrl("redis://127.0.0.1:6380"), {
    host: "127.0.0.1",
    port: 6380,
    db: 0,
    username: null,
    password: null,
    display: "redis://127.0.0.1:6380",
  });
  const full = parseCacheBackendUrl("redis://app:s%40cret@cache.local/3");
  assert.equal(full.host, "cache.local");
  assert.equal(full.port, 6379);
  assert.equal(full.db, 3);
  assert.equal(full.username, "app");
  assert.equal(full.password, "s@cret");
  assert.equal(full.display, "redis://app@cache.local/3");
  assert.equal(parseCacheBackendUrl("redis://[::1]:7000").host, "::1");
});

Deno.test("--cache-backend: bad URLs are refused with the reason, never the password", () => {
  const cases: Array<[string, RegExp]> = [
    ["127.0.0.1:6379", /not a URL/],
    ["http://h:1", /scheme 'http:' is not redis:/],
    ["rediss://h:1", /scheme 'rediss:' is not redis:/],
    ["redis://h:0", /port out of range/],
    ["redis://h:1/x", /database 'x' is not a number/],
    ["redis://h:1/2000", /database 2000 exceeds maximum of 1023/],
    ["redis://h:1?timeout=3", /query and fragment are not supported/],
    ["redis://:hunter2@h:99999", /port out of range|not a URL/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseCacheBackendUrl(text), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /^Invalid --cache-backend /);
      assert.match(error.message, reason, text);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  }
});

Deno.test("--cache-backend goes with the cache (on by default), refuses --cache off, empty means none", () => {
  assert.equal(buildNodeConfig(base).cache, "on");
  assert.equal(buildNodeConfig(base).cacheBackend, null);
  assert.equal(buildNodeConfig({ ...base, cacheBackend: "" }).cacheBackend, null);
  const on = buildNodeConfig({ ...base, cacheBackend: "redis://127.0.0.1:6379" });
  assert.equal(on.cache, "on");
  assert.equal(on.cacheBackend?.port, 6379);
  assert.throws(
    () => buildNodeConfig({ ...base, cache: "off", cacheBackend: "redis://127.0.0.1:6379" }),
    /--cache-backend needs the cache/,
  );
});
