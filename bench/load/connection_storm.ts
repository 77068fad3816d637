/**
 * Connection storms against a 3-node cluster on 127.0.0.1: `--clients` connections per node
 * opened at once, each sending one `LOCK.ACQUIRE name owner WAIT 0`, `--storms` times in a row.
 *
 *   deno task bench:storm [--clients 3000] [--storms 3]
 *
 * Prints per storm the answers per kind, the term on every node before and after, the peer-down
 * marks logged, and the longest event-loop stall each node reports in INFO.
 * @module
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { startLocalCluster, stopLocalCluster } from "../../src/cluster/local_cluster.ts";
import { freePortRange } from "../../src/util/free_ports.ts";
import { formatAnswers, runConnectionStorm } from "../../tests/helpers/connection_storm.ts";

const NODE_COUNT = 3;
const CLIENT_TIMEOUT_MS = 60_000;

function parseArgs(args: string[]): { clientsPerNode: number; stormCount: number } {
  const out = { clientsPerNode: 3_000, stormCount: 3 };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (!Number.isSafeInteger(value) || value < 1 || value > 5_000) {
      throw new Error(`Invalid value ${args[i + 1]} for ${args[i]}: an integer in 1..5000`);
    }
    if (args[i] === "--clients") out.clientsPerNode = value;
    else if (args[i] === "--storms") out.stormCount = value;
    else throw new Error(`Unknown option ${args[i]}; use --clients N --storms N`);
  }
  return out;
}

/** `key:value` lines of a RESP bulk text reply. */
async function fields(port: number, args: string[]): Promise<Map<string, string>> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const text = replyText(await connection.call(args));
    return new Map(
      text.split(/\r?\n/).filter((line) => line.includes(":")).map((line) => {
        const at = line.indexOf(":");
        return [line.slice(0, at), line.slice(at + 1)] as [string, string];
      }),
    );
  } finally {
    connection.close();
  }
}

async function snapshot(ports: number[]) {
  return await Promise.all(ports.map(async (port) => {
    const cluster = await fields(port, ["CLUSTER", "INFO"]);
    const info = await fields(port, ["INFO"]);
    return {
      term: cluster.get("term") ?? "?",
      role: cluster.get("role") ?? "?",
      stallMs: info.get("event_loop_stall_max_ms") ?? "n/a",
      shed: info.get("requests_shed") ?? "n/a",
      downMarks: info.get("peer_down_marks") ?? "n/a",
    };
  }));
}

async function main(): Promise<void> {
  const { clientsPerNode, stormCount } = parseArgs(Deno.args);
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-storm-" });
  const basePort = freePortRange(NODE_COUNT, [0, 100]);
  let downLines = 0;
  const nodes = await startLocalCluster({
    nodeCount: NODE_COUNT,
    host: "127.0.0.1",
    basePort,
    peerBasePort: basePort + 100,
    dataDir,
    nodeArgs: ["--log-level", "warn"],
    print: (line) => {
      if (line.includes("peer down")) downLines++;
      if (line.includes("WARN") || line.includes("warn")) console.error(line);
    },
    startTimeoutMs: 20_000,
  });
  const ports = nodes.map((_, i) => basePort + i);
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    console.log(`${NODE_COUNT} nodes, ${clientsPerNode} clients per node, ${stormCount} storms`);
    for (let storm = 1; storm <= stormCount; storm++) {
      const before = await snapshot(ports);
      const downBefore = downLines;
      const result = await runConnectionStorm({
        ports,
        clientsPerPort: clientsPerNode,
        lockPrefix: `storm${storm}`,
        lockCount: Math.max(1, Math.floor(clientsPerNode * NODE_COUNT * 0.9)),
        clientTimeoutMs: CLIENT_TIMEOUT_MS,
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const after = await snapshot(ports);
      console.log(
        `storm ${storm}: ${result.clientCount} clients in ${Math.round(result.elapsedMs)} ms: ` +
          formatAnswers(result.answers),
      );
      console.log(
        `  term ${before.map((s) => s.term).join("/")} -> ${after.map((s) => s.term).join("/")}` +
          `; roles ${after.map((s) => s.role).join("/")}; peer-down log lines ` +
          `${downLines - downBefore}; down marks ${after.map((s) => s.downMarks).join("/")}` +
          `; longest stall ms ${after.map((s) => s.stallMs).join("/")}` +
          `; shed ${after.map((s) => s.shed).join("/")}`,
      );
    }
  } finally {
    await stopLocalCluster(nodes);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
