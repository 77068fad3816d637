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

/** How long a joining node keeps asking to be added before it gives up. */
export const JOIN_DEADLINE_MS = 120_000;

/**
 * Asks the cluster to add this node until it answers +OK: CLUSTER ADD is idempotent, and a
 * TIMEOUT may hide an add that committed, so giving up early would leave a member nobody runs.
 * Retries transient answers and connection errors with capped backoff; `-ERR` is final.
 */
export async function joinCluster(
  through: HostPort,
  self: { id: string; peerAddress: HostPort; clientAddress: HostPort },
  requestTimeoutMs: number,
  onRetry: (error: string, attempt: number) => void,
): Promise<void> {
  const deadline = performance.now() + JOIN_DEADLINE_MS;
  for (let attempt = 1;; attempt++) {
    try {
      await requestMembership(through, self, requestTimeoutMs * 3);
      return;
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (/failed: ERR /.test(text) || performance.now() > deadline) throw error;
      onRetry(text, attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

/** Asks the cluster (through any member) to add this node once; resolves on +OK. */
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
