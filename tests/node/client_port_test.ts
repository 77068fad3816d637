import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
  type TestClusterPlan,
  type TestNode,
} from "../helpers/node_harness.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { call } from "../helpers/resp_call.ts";
import { callNode } from "../../src/node/join.ts";

async function withNode(
  extraArgs: string[],
  body: (node: TestNode, plan: TestClusterPlan) => Promise<void>,
): Promise<void> {
  const plan = await planTestCluster(1);
  const node = await startTestNode(plan, "n1", extraArgs);
  try {
    await body(node, plan);
  } finally {
    await stopTestCluster([node], plan);
  }
}

function redisClient(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
}

Deno.test("node serves the server commands to ioredis", async () => {
  await withNode([], async (node) => {
    const redis = redisClient(node.clientPort);
    await redis.connect();
    try {
      assert.equal(await redis.ping(), "PONG");
      assert.equal(await redis.ping("hello"), "hello");
      assert.equal(await redis.echo("a b\r\nc"), "a b\r\nc");
      const id = await redis.client("ID");
      assert.equal(typeof id, "number");
      assert.equal(await redis.client("SETNAME", "worker-7"), "OK");
      assert.equal(await redis.client("GETNAME"), "worker-7");
      const info = await redis.info();
      for (const section of ["# Server", "# Clients", "# Cluster", "# Stats"]) {
        assert.ok(info.includes(section), `INFO lacks ${section}`);
      }
      assert.match(info, /connected_clients:1\r\n/);
      const clusterOnly = await redis.info("cluster");
      assert.ok(clusterOnly.startsWith("# Cluster\r\n"));
      assert.ok(!clusterOnly.includes("# Server"));
      await assert.rejects(redis.call("NOPE", "x"), /ERR unknown command 'NOPE'/);
      await assert.rejects(redis.call("ECHO"), /ERR wrong number of arguments for 'echo' command/);
      await assert.rejects(redis.call("CLIENT", "FLY"), /ERR unknown subcommand 'FLY'/);
      assert.equal(typeof await redis.call("COMMAND", "COUNT"), "number");
      const hello = await redis.call("HELLO", "2") as unknown[];
      assert.deepEqual(hello.slice(0, 2), ["server", "dsync"]);
      const clusterInfo = await redis.call("CLUSTER", "INFO") as string;
      assert.match(clusterInfo, /^node_id:n1\r\n/);
      for (const key of ["role", "term", "leader_id", "commit_index", "applied_index"]) {
        assert.match(clusterInfo, new RegExp(`\\r\\n${key}:`));
      }
      assert.match(clusterInfo, /members:1\r\nhealthy_members:1\r\n/);
      const nodes = await redis.call("CLUSTER", "NODES") as string;
      assert.match(
        nodes,
        new RegExp(
          `^n1 127\\.0\\.0\\.1:${node.peerPort} 127\\.0\\.0\\.1:${node.clientPort} \\w+ up 0\\n$`,
        ),
      );
      // 64 slots by default: CRC16-XMODEM("somekey") = 11058, 11058 % 64 = 50.
      assert.equal(await redis.call("CLUSTER", "KEYSLOT", "somekey"), 50);
      assert.equal(
        await redis.call("CLUSTER", "KEYSLOT", "{somekey}.other"),
        50,
        "a {hash tag} places a key with the tag's slot",
      );
      await assert.rejects(
        redis.call("CLUSTER", "KEYSLOT"),
        /ERR wrong number of arguments for 'cluster\|keyslot' command/,
      );
    } finally {
      redis.disconnect();
    }
  });
});

Deno.test("--slots is recorded when the cluster is created; a restart with another keeps it", async () => {
  const plan = await planTestCluster(1);
  let node = await startTestNode(plan, "n1", ["--slots", "16384"]);
  try {
    // The values Redis Cluster (16384 slots) gives for these keys.
    assert.equal(await call(node.clientPort, "CLUSTER", "KEYSLOT", "somekey"), "11058");
    assert.equal(await call(node.clientPort, "CLUSTER", "KEYSLOT", "foo"), "12182");
    await eventually("the slot count recorded in the meta log", async () => {
      const reply = await callNode(
        { host: "127.0.0.1", port: node.clientPort },
        ["DEBUG", "ENTRIES", "1", "100"],
        5_000,
      );
      // Each entry is [index, term, kind, op, detail]: look for the op and its detail.
      const entries = reply.type === "array" ? reply.value : [];
      return entries.some((entry) => {
        const fields = entry.type === "array" ? entry.value : [];
        const text = (at: number) => {
          const field = fields[at];
          return field?.type === "bulk" ? new TextDecoder().decode(field.value) : "";
        };
        return text(3) === "placeSlots" && text(4) === "slots 16384 members n1";
      });
    }, 10_000);
    await stopTestNode(node);
    node = await startTestNode(plan, "n1", ["--slots", "64"]);
    // Once the restarted node has applied its meta log again, the recorded count wins.
    await eventually("the recorded slot count after restart", async () => {
      return await call(node.clientPort, "CLUSTER", "KEYSLOT", "somekey") === "11058";
    }, 10_000);
    await eventually(
      "a warning naming both counts",
      () =>
        node.lines.some((line) =>
          line.includes("--slots differs") && line.includes("16384") && line.includes("64")
        ),
      10_000,
    );
  } finally {
    await stopTestCluster([node], plan);
  }
});

Deno.test("raw socket: pipelined and inline commands, then malformed bytes drop only that client", async () => {
  await withNode([], async (node) => {
    const bystander = await RawClient.connect(node.clientPort);
    const client = await RawClient.connect(node.clientPort);
    try {
      await client.send('PING\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO "a b"\n');
      assert.equal(
        await client.readBytes(7 + 7 + 8 + 9),
        "+PONG\r\n+PONG\r\n$2\r\nhi\r\n$3\r\na b\r\n",
      );
      await client.send("*1\r\n$abc\r\n");
      const error = "-ERR Protocol error: invalid bulk length\r\n";
      assert.equal(await client.readBytes(error.length), error);
      assert.ok(await client.closedByServer(), "the node must close a client that sent garbage");
      await bystander.send("PING\r\n");
      assert.equal(await bystander.readBytes(7), "+PONG\r\n");
    } finally {
      client.close();
      bystander.close();
    }
  });
});

Deno.test("raw socket: a bulk string over the limit gets -LIMIT and the connection closes", async () => {
  await withNode(["--max-bulk-bytes", "1024"], async (node) => {
    const client = await RawClient.connect(node.clientPort);
    try {
      await client.send("*2\r\n$4\r\nECHO\r\n$2048\r\n");
      const error = "-LIMIT bulk string length 2048 exceeds maximum of 1024 bytes\r\n";
      assert.equal(await client.readBytes(error.length), error);
      assert.ok(await client.closedByServer());
    } finally {
      client.close();
    }
  });
});

Deno.test("raw socket: QUIT answers +OK and closes; unbalanced quotes are a protocol error", async () => {
  await withNode([], async (node) => {
    const quitter = await RawClient.connect(node.clientPort);
    await quitter.send("QUIT\r\n");
    assert.equal(await quitter.readBytes(5), "+OK\r\n");
    assert.ok(await quitter.closedByServer());
    const quoter = await RawClient.connect(node.clientPort);
    await quoter.send('ECHO "open\r\n');
    const error = "-ERR Protocol error: unbalanced quotes in request\r\n";
    assert.equal(await quoter.readBytes(error.length), error);
    assert.ok(await quoter.closedByServer());
  });
});

Deno.test("requirepass: NOAUTH before AUTH, WRONGPASS on a bad password, HELLO AUTH works", async () => {
  await withNode(["--requirepass", "s3cret"], async (node) => {
    const client = await RawClient.connect(node.clientPort);
    try {
      await client.send("PING\r\n");
      const noauth = "-NOAUTH Authentication required.\r\n";
      assert.equal(await client.readBytes(noauth.length), noauth);
      await client.send("AUTH wrong\r\n");
      const wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
      assert.equal(await client.readBytes(wrongpass.length), wrongpass);
      await client.send("AUTH s3cret\r\nPING\r\n");
      assert.equal(await client.readBytes(12), "+OK\r\n+PONG\r\n");
    } finally {
      client.close();
    }
    const hello = await RawClient.connect(node.clientPort);
    try {
      await hello.send("HELLO 2 AUTH default s3cret\r\nPING\r\n");
      const reply = await hello.readBytes(64);
      assert.ok(reply.startsWith("*16\r\n$6\r\nserver\r\n$5\r\ndsync\r\n"), reply);
    } finally {
      hello.close();
    }
    const redis = new Redis({
      port: node.clientPort,
      host: "127.0.0.1",
      password: "s3cret",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await redis.connect();
      assert.equal(await redis.ping(), "PONG");
    } finally {
      redis.disconnect();
    }
  });
});

Deno.test("max clients: a connection over the limit is refused with an error", async () => {
  await withNode(["--max-clients", "2"], async (node) => {
    const first = await RawClient.connect(node.clientPort);
    const second = await RawClient.connect(node.clientPort);
    await first.send("PING\r\n");
    await second.send("PING\r\n");
    assert.equal(await first.readBytes(7), "+PONG\r\n");
    assert.equal(await second.readBytes(7), "+PONG\r\n");
    const third = await RawClient.connect(node.clientPort);
    const error = "-ERR max number of clients reached\r\n";
    assert.equal(await third.readBytes(error.length), error);
    assert.ok(await third.closedByServer());
    first.close();
    second.close();
  });
});

Deno.test("redis-cli talks to the node", async (t) => {
  const found = await new Deno.Command("sh", { args: ["-c", "command -v redis-cli"] }).output();
  if (!found.success) {
    if (Deno.env.get("CI") === "true") throw new Error("CI must install redis-cli (redis-tools)");
    t.step("redis-cli not installed: skipped", () => {});
    return;
  }
  await withNode([], async (node) => {
    const run = async (...args: string[]) => {
      const output = await new Deno.Command("redis-cli", {
        args: ["-p", String(node.clientPort), ...args],
      }).output();
      return new TextDecoder().decode(output.stdout).trim();
    };
    assert.equal(await run("PING"), "PONG");
    assert.equal(await run("ECHO", "hi there"), "hi there");
    assert.match(await run("CLUSTER", "INFO"), /node_id:n1/);
    assert.match(await run("-3", "HELLO", "3"), /server\s*\n?.*dsync/);
    assert.match(await run("INFO", "server"), /dsync_version:/);
  });
});

Deno.test("--metrics serves Prometheus /metrics and a /health probe", async () => {
  const metricsPort = freePort();
  await withNode(["--metrics", `127.0.0.1:${metricsPort}`], async (node) => {
    // A held lock shows in the lock subsystem's gauges (registered through its plug-in).
    await eventually("a granted lock", async () => {
      return /^\d+$/.test(await call(node.clientPort, "LOCK.ACQUIRE", "m", "me"));
    }, 10_000);
    // A pushed message shows in the queue subsystem's.
    await eventually("a pushed message", async () => {
      return /^\d+-\d+$/.test(await call(node.clientPort, "QUEUE.PUSH", "mq", "hello"));
    }, 10_000);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /\ndsync_queue_pushes_total 1\n/);
    assert.match(metrics, /\ndsync_queue_bytes 1\d\d\n/);
    assert.match(metrics, /# TYPE dsync_commands_processed_total counter/);
    assert.match(metrics, /dsync_commands_processed_total \d+/);
    assert.match(metrics, /\ndsync_lock_holders 1\n/);
    assert.match(metrics, /\ndsync_lock_waits_parked 0\n/);
    // Every subsystem, Prometheus conventions: counters end in _total, units last.
    assert.match(metrics, /# TYPE dsync_wal_syncs_total counter\ndsync_wal_syncs_total [1-9]\d*\n/);
    assert.match(metrics, /# TYPE dsync_wal_pending_bytes gauge\n/);
    assert.match(metrics, /\ndsync_raft_groups_by_role\{role="leader"\} 65\n/);
    assert.match(metrics, /\ndsync_raft_groups_leaderless 0\n/);
    assert.match(metrics, /\ndsync_kv_keys 0\n/);
    assert.match(metrics, /\ndsync_lock_last_fencing_token 1\n/);
    assert.match(metrics, /\ndsync_ready 1\n/);
    for (const line of metrics.split("\n").filter((row) => row.startsWith("# TYPE "))) {
      const [, , name, type] = line.split(" ");
      assert.equal(type, name!.endsWith("_total") ? "counter" : "gauge", line);
    }
    const health = await (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json();
    assert.equal(health.status, "ok");
    assert.equal(health.nodeId, "n1");
    const missing = await fetch(`http://127.0.0.1:${metricsPort}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});
