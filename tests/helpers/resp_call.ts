import { replyText } from "../../src/client/resp_connection.ts";
import { callNode } from "../../src/node/join.ts";

/** Sends one command to 127.0.0.1:port and returns its reply as text (errors as "-CODE ..."). */
export async function call(port: number, ...args: string[]): Promise<string> {
  return replyText(await callNode({ host: "127.0.0.1", port }, args, 15_000));
}

/** CLUSTER INFO of a node as a map. */
export async function clusterInfo(port: number): Promise<Map<string, string>> {
  const text = await call(port, "CLUSTER", "INFO");
  return new Map(
    text.split("\r\n").filter((line) => line.includes(":")).map((line) => {
      const at = line.indexOf(":");
      return [line.slice(0, at), line.slice(at + 1)] as [string, string];
    }),
  );
}

/** Waits until some node of `nodes` leads and every node that answers names it leader; returns it. */
export async function waitForLeader<T extends { clientPort: number }>(
  nodes: T[],
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const infos = await Promise.all(
      nodes.map((node) => clusterInfo(node.clientPort).catch(() => null)),
    );
    const leaderIndex = infos.findIndex((info) => info?.get("role") === "leader");
    const leaderId = infos[leaderIndex]?.get("node_id");
    // Every node that answers must know the leader too, or a request sent to it right after
    // this returns would be refused with TRYAGAIN (no leader known yet).
    const agreed = leaderIndex >= 0 &&
      infos.every((info) => info === null || info.get("leader_id") === leaderId);
    if (agreed) return nodes[leaderIndex]!;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no leader among ${nodes.length} nodes within ${timeoutMs} ms`);
}
