import type { RespValue } from "../../protocol/resp/mod.ts";
import { RespConnection } from "../client/resp_connection.ts";
import { formatHostPort, type HostPort, parseHostPort } from "../util/host_port.ts";

/** What a joining node learns from a member before it starts. */
export interface ClusterDiscovery {
  clusterId: string;
  /** Current members and their peer addresses. */
  members: Map<string, HostPort>;
}

/** Sends one command to a node's client port and returns the decoded reply. */
export async function callNode(
  address: HostPort,
  args: string[],
  timeoutMs: number,
): Promise<RespValue> {
  const connection = await RespConnection.open(address.host, address.port);
  const timer = setTimeout(() => connection.close(), timeoutMs);
  try {
    return await connection.call(args);
  } finally {
    clearTimeout(timer);
    connection.close();
  }
}

function text(value: RespValue, what: string): string {
  if (value.type === "bulk" || value.type === "verbatim") {
    return new TextDecoder().decode(value.value);
  }
  if (value.type === "simple") return value.value;
  if (value.type === "error") throw new Error(`${what} failed: ${value.value}`);
  throw new Error(`${what}: unexpected ${value.type} reply`);
}

/** Asks a member for the cluster id and the member list (CLUSTER INFO, CLUSTER NODES). */
export async function discoverCluster(
  through: HostPort,
  timeoutMs: number,
): Promise<ClusterDiscovery> {
  const info = text(await callNode(through, ["CLUSTER", "INFO"], timeoutMs), "CLUSTER INFO");
  const clusterId = /cluster_id:(\S+)/.exec(info)?.[1];
  if (clusterId === undefined) throw new Error("CLUSTER INFO did not name the cluster id");
  const nodes = text(await callNode(through, ["CLUSTER", "NODES"], timeoutMs), "CLUSTER NODES");
  const members = new Map<string, HostPort>();
  for (const line of nodes.split("\n").filter((row) => row.trim() !== "")) {
    const [id, peerAddress] = line.split(" ");
    if (id !== undefined && peerAddress !== undefined && peerAddress !== "-") {
      members.set(id, parseHostPort(peerAddress, `peer address of ${id}`));
    }
  }
  return { clusterId, members };
}

/** Asks the cluster (through any member) to add this node; resolves on +OK. */
export async function requestMembership(
  through: HostPort,
  self: { id: string; peerAddress: HostPort; clientAddress: HostPort },
  timeoutMs: number,
): Promise<void> {
  const reply = await callNode(through, [
    "CLUSTER",
    "ADD",
    self.id,
    formatHostPort(self.peerAddress),
    formatHostPort(self.clientAddress),
  ], timeoutMs);
  text(reply, "CLUSTER ADD");
}
