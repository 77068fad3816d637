/**
 * The longest event-loop stall of each node under each source of bulk work, on a 3-node cluster
 * on 127.0.0.1: a client pipelining 100,000 PINGs, a client pipelining 20,000 LOCK.ACQUIREs to
 * the leader, the same to a follower (a burst of forwarded requests on the leader), a restart
 * replaying the log, and a restart far enough behind that the leader sends a snapshot.
 *
 *   deno task bench:stalls [--commands 100000]
 *
 * Before each scenario every node's stall figures are zeroed (CONFIG RESETSTAT); after it, INFO
 * stats `event_loop_stall_max_ms` of each node is printed with the answers per kind.
 * @module
 */
import { encodeCommand, RespReplyDecoder } from "../../protocol/resp/mod.ts";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import {
  type LocalNode,
  startLocalCluster,
  stopLocalCluster,
} from "../../src/cluster/local_cluster.ts";
import { pingNode, spawnDsync } from "../../src/cluster/node_process.ts";
import { freePortRange } from "../../src/util/free_ports.ts";

const NODE_COUNT = 3;
const WRITE_CHUNK_COMMANDS = 1_000;
const SCENARIO_TIMEOUT_MS = 120_000;

async function call(port: number, args: string[]): Promise<string> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    return replyText(await connection.call(args));
  } finally {
    connection.close();
  }
}

async function infoField(port: number, field: string): Promise<string> {
  const text = await call(port, ["INFO"]);
  return text.match(new RegExp(`${field}:([^\\r\\n]*)`))?.[1] ?? "?";
}

/** Writes `commands` on one connection as fast as the socket takes them; counts reply kinds. */
async function pipeline(port: number, commands: string[][]): Promise<Map<string, number>> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const kinds = new Map<string, number>();
  const timer = setTimeout(() => conn.close(), SCENARIO_TIMEOUT_MS);
  const reading = (async () => {
    const decoder = new RespReplyDecoder();
    const buffer = new Uint8Array(256 * 1024);
    let received = 0;
    while (received < commands.length) {
      const count = await conn.read(buffer);
      if (count === null) break;
      decoder.push(buffer.subarray(0, count));
      for (let value = decoder.next(); value !== undefined; value = decoder.next()) {
        received++;
        const kind = value.type === "error"
          ? `-${value.value.split(" ")[0]}`
          : value.type === "integer"
          ? "integer"
          : value.type === "null"
          ? "null"
          : replyText(value);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    }
    if (received < commands.length) kinds.set("unanswered", commands.length - received);
  })();
  for (let i = 0; i < commands.length; i += WRITE_CHUNK_COMMANDS) {
    const chunk = commands.slice(i, i + WRITE_CHUNK_COMMANDS).map((args) => encodeCommand(args));
    const bytes = new Uint8Array(chunk.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of chunk) {
      bytes.set(part, offset);
      offset += part.length;
    }
    for (let written = 0; written < bytes.length;) {
      written += await conn.write(bytes.subarray(written));
    }
  }
  await reading;
  clearTimeout(timer);
  try {
    conn.close();
  } catch {
    // closed by the timer
  }
  return kinds;
}

function format(kinds: Map<string, number>): string {
  return [...kinds.entries()].map(([kind, count]) => `${kind}=${count}`).join(" ");
}

async function roles(ports: number[]): Promise<string[]> {
  return await Promise.all(ports.map(async (port) => {
    const info = await call(port, ["CLUSTER", "INFO"]);
    return info.match(/role:(\w+)/)?.[1] ?? "?";
  }));
}

async function report(name: string, ports: number[], answers: string): Promise<void> {
  const stalls = await Promise.all(ports.map((port) => infoField(port, "event_loop_stall_max_ms")));
  const terms = await Promise.all(ports.map(async (port) => {
    return (await call(port, ["CLUSTER", "INFO"])).match(/term:(\d+)/)?.[1] ?? "?";
  }));
  const downs = await Promise.all(ports.map((port) => infoField(port, "peer_down_marks")));
  console.log(
    `${name}: longest stall ms ${stalls.join("/")}; term ${terms.join("/")}; ` +
      `peer down marks ${downs.join("/")}${answers === "" ? "" : `; ${answers}`}`,
  );
}

async function resetStats(ports: number[]): Promise<void> {
  for (const port of ports) await call(port, ["CONFIG", "RESETSTAT"]);
}

async function main(): Promise<void> {
  const commandCount = Number(Deno.args[1] ?? 100_000);
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-stalls-" });
  const basePort = freePortRange(NODE_COUNT, [0, 100]);
  const ports = Array.from({ length: NODE_COUNT }, (_, i) => basePort + i);
  const peers = ports.map((port, i) => `n${i + 1}=127.0.0.1:${port + 100}`).join(",");
  const nodeArgs = ["--log-level", "warn"];
  const nodes: LocalNode[] = await startLocalCluster({
    nodeCount: NODE_COUNT,
    host: "127.0.0.1",
    basePort,
    peerBasePort: basePort + 100,
    dataDir,
    nodeArgs,
    print: () => {},
    startTimeoutMs: 20_000,
  });
  const extra: Deno.ChildProcess[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const leaderIndex = (await roles(ports)).indexOf("leader");
    const leaderPort = ports[leaderIndex]!;
    const followerIndex = (leaderIndex + 1) % NODE_COUNT;
    const followerPort = ports[followerIndex]!;
    const restartIndex = (leaderIndex + 2) % NODE_COUNT;
    console.log(`leader n${leaderIndex + 1}; stall figures per node n1/n2/n3`);

    await resetStats(ports);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await report("idle 2 s", ports, "");

    await resetStats(ports);
    const pings = Array.from({ length: commandCount }, () => ["PING"]);
    await report(
      `${commandCount} pipelined PING`,
      ports,
      format(await pipeline(followerPort, pings)),
    );

    const acquires = (prefix: string) =>
      Array.from(
        { length: 20_000 },
        (_, i) => ["LOCK.ACQUIRE", `${prefix}${i}`, "o", "TTL", "600000"],
      );
    await resetStats(ports);
    await report(
      "20000 pipelined LOCK.ACQUIRE on the leader",
      ports,
      format(await pipeline(leaderPort, acquires("lead"))),
    );
    await resetStats(ports);
    await report(
      "20000 pipelined LOCK.ACQUIRE on a follower (forwarded burst)",
      ports,
      format(await pipeline(followerPort, acquires("fwd"))),
    );

    let running = nodes[restartIndex]!.process;
    const restart = async (name: string, before: () => Promise<void>) => {
      const node = nodes[restartIndex]!;
      running.kill("SIGTERM");
      await running.status;
      await before();
      await resetStats(ports.filter((_, i) => i !== restartIndex));
      const startedMs = performance.now();
      const process = spawnDsync([
        "node",
        ...["--id", `n${restartIndex + 1}`, "--client", `127.0.0.1:${ports[restartIndex]}`],
        ...["--peer", `127.0.0.1:${ports[restartIndex]! + 100}`, "--peers", peers],
        ...["--data", node.dataDir, ...nodeArgs],
      ], () => {});
      extra.push(process);
      running = process;
      while (!(await pingNode("127.0.0.1", ports[restartIndex]!, 500))) {
        if (performance.now() - startedMs > SCENARIO_TIMEOUT_MS) throw new Error("no restart");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const readyMs = Math.round(performance.now() - startedMs);
      // Before PING answers, the node replays its log with its peer port still closed: no peer
      // waits on it then. What counts is the stall once it serves (applying, catching up).
      const port = ports[restartIndex]!;
      const startupStallMs = await infoField(port, "event_loop_stall_max_ms");
      await call(port, ["CONFIG", "RESETSTAT"]);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await report(
        name,
        ports,
        `answered PING ${readyMs} ms after the start; longest stall before that ${startupStallMs} ms`,
      );
    };
    await restart(`restart of n${restartIndex + 1} replaying its log`, async () => {});
    await restart(
      `restart of n${restartIndex + 1} after 20000 commits (snapshot sent)`,
      async () => {
        await pipeline(leaderPort, acquires("behind"));
      },
    );
  } finally {
    for (const process of extra) {
      try {
        process.kill("SIGTERM");
      } catch {
        // exited
      }
      await process.status;
    }
    await stopLocalCluster(nodes);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
