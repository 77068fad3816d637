import assert from "node:assert/strict";
import {
  buildNodeConfig,
  BULK_BYTES_LIMIT,
  deriveClusterId,
  parsePeers,
} from "../../src/config/node_config.ts";
import { parseHostPort } from "../../src/util/host_port.ts";

const base = {
  id: "n1",
  client: "127.0.0.1:7001",
  peer: "127.0.0.1:7101",
  peers: "n1=127.0.0.1:7101,n2=127.0.0.1:7102",
  data: "./data/n1",
};

Deno.test("a complete set of options builds a config with defaults", () => {
  const config = buildNodeConfig(base);
  assert.equal(config.id, "n1");
  assert.equal(config.peers?.size, 2);
  assert.equal(config.bulkBytesMax, 1024 * 1024);
  assert.equal(config.argumentCountMax, 1024);
  assert.equal(config.logFormat, "text");
  assert.match(config.clusterId, /^dsync-[0-9a-f]{8}$/);
});

Deno.test("the same peers list in any order gives the same cluster id", () => {
  const a = deriveClusterId(parsePeers("n1=h:1,n2=h:2,n3=h:3"));
  const b = deriveClusterId(parsePeers("n3=h:3,n1=h:1,n2=h:2"));
  const c = deriveClusterId(parsePeers("n1=h:1,n2=h:2,n4=h:4"));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

Deno.test("bad options are rejected with a message naming the option", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ ...base, id: "" }, /Missing required option --id/],
    [{ ...base, id: "bad id" }, /Invalid --id 'bad id'/],
    [{ ...base, client: "7001" }, /Invalid --client '7001': expected HOST:PORT/],
    [{ ...base, peer: "h:70000" }, /port must be 1-65535/],
    [{ ...base, peers: "n2=127.0.0.1:7102" }, /--peers must include this node's id 'n1'/],
    [{ ...base, peers: "n1=127.0.0.1:7101,n1=h:2" }, /id 'n1' appears twice/],
    [{ ...base, peers: "n1=127.0.0.1:9999" }, /--peer listens on 7101/],
    [{ ...base, join: "h:1" }, /--peers and --join are exclusive/],
    [{ ...base, logLevel: "loud" }, /Invalid --log-level 'loud'/],
    [{ ...base, logFormat: "xml" }, /Invalid --log-format 'xml'/],
    [{ ...base, maxClients: "-3" }, /Invalid --max-clients '-3'/],
    [{ ...base, tlsCert: "c.pem" }, /Missing required option --tls-key/],
    [{ ...base, clusterId: "" }, /Invalid --cluster-id ''/],
    [{ ...base, clusterId: "prod east" }, /Invalid --cluster-id 'prod east'/],
    [{ ...base, heartbeatMs: "1000" }, /--heartbeat-ms \(1000\) must be shorter than/],
    [{ ...base, lockTtlMinMs: "5000", lockTtlMaxMs: "1000" }, /--lock-ttl-min-ms \(5000\) exceeds/],
    [{ ...base, lockTtlMaxMs: "2147483648" }, /Invalid --lock-ttl-max-ms 2147483648: the max/],
    [{ ...base, lockWaitMaxMs: "2147483648" }, /Invalid --lock-wait-max-ms 2147483648: the max/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => buildNodeConfig(options), pattern);
  }
  const { peers: _peers, ...withoutPeers } = base;
  assert.throws(() => buildNodeConfig(withoutPeers), /One of --peers or --join is required/);
});

Deno.test("host:port parsing accepts IPv6 in brackets", () => {
  assert.deepEqual(parseHostPort("[::1]:7001", "x"), { host: "::1", port: 7001 });
});

Deno.test("quiet groups: --quiesce-after-ticks allows 0 (never); --debug-groups is bounded", () => {
  assert.equal(buildNodeConfig(base).quiesceAfterTicks, 20);
  assert.equal(buildNodeConfig(base).debugGroups, 0);
  assert.equal(buildNodeConfig({ ...base, quiesceAfterTicks: "0" }).quiesceAfterTicks, 0);
  assert.equal(buildNodeConfig({ ...base, debugGroups: "1000" }).debugGroups, 1000);
  assert.throws(() => buildNodeConfig({ ...base, quiesceAfterTicks: "-1" }), /--quiesce-after/);
  assert.throws(() => buildNodeConfig({ ...base, debugGroups: "10001" }), /--debug-groups/);
});

Deno.test("--slots: 64 by default, 1..16384", () => {
  assert.equal(buildNodeConfig(base).slotCount, 64);
  assert.equal(buildNodeConfig({ ...base, slots: "16384" }).slotCount, 16384);
  assert.throws(() => buildNodeConfig({ ...base, slots: "0" }), /--slots/);
  assert.throws(() => buildNodeConfig({ ...base, slots: "16385" }), /--slots/);
});

Deno.test("--cache-writeback-ms: 1,000 by default (Redis everysec's bound), 1..60000", () => {
  assert.equal(buildNodeConfig(base).cacheWriteBackMs, 1000);
  assert.equal(buildNodeConfig({ ...base, cacheWritebackMs: "1" }).cacheWriteBackMs, 1);
  assert.equal(buildNodeConfig({ ...base, cacheWritebackMs: "60000" }).cacheWriteBackMs, 60000);
  for (const bad of ["0", "60001", "1.5", "soon"]) {
    assert.throws(
      () => buildNodeConfig({ ...base, cacheWritebackMs: bad }),
      new RegExp(
        `Invalid --cache-writeback-ms '${
          bad.replace(".", "\\.")
        }': expected an integer in 1\\.\\.60000`,
      ),
    );
  }
});

Deno.test("audit options: off by default, defaults with --audit-log, choices checked", () => {
  assert.equal(buildNodeConfig(base).audit, null);
  assert.deepEqual(buildNodeConfig({ ...base, auditLog: "/var/log/dsync-audit.log" }).audit, {
    path: "/var/log/dsync-audit.log",
    scope: "changes",
    full: "drop",
    recordsMax: 8192,
  });
  const all = buildNodeConfig({
    ...base,
    auditLog: "a.log",
    audit: "all",
    auditFull: "block",
    auditBufferRecords: "16",
  });
  assert.deepEqual(all.audit, { path: "a.log", scope: "all", full: "block", recordsMax: 16 });
  assert.throws(() => buildNodeConfig({ ...base, audit: "all" }), /--audit needs --audit-log/);
  assert.throws(
    () => buildNodeConfig({ ...base, auditLog: "a.log", auditFull: "wait" }),
    /Invalid --audit-full 'wait': expected one of block, drop/,
  );
  assert.throws(
    () => buildNodeConfig({ ...base, auditLog: "a.log", audit: "some" }),
    /Invalid --audit 'some'/,
  );
});

Deno.test("--max-bulk-bytes is bounded by what one Raft entry in one peer frame can carry", () => {
  assert.equal(
    buildNodeConfig({ ...base, maxBulkBytes: String(BULK_BYTES_LIMIT) }).bulkBytesMax,
    BULK_BYTES_LIMIT,
  );
  assert.throws(
    () => buildNodeConfig({ ...base, maxBulkBytes: String(BULK_BYTES_LIMIT + 1) }),
    /Invalid --max-bulk-bytes '8388609': expected an integer in 1\.\.8388608/,
  );
  assert.throws(() => buildNodeConfig({ ...base, maxBulkBytes: "0" }), /--max-bulk-bytes/);
});
