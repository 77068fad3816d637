/**
 * A local etcd cluster of real processes on 127.0.0.1 for load tools: fresh temporary data
 * directories, free ports, fsync on (etcd's default), stopped by PID.
 */
import { freePortRange } from "../../src/util/free_ports.ts";
import { readLines } from "../../src/util/read_lines.ts";

/** One started etcd member. */
export interface EtcdMember {
  name: string;
  /** Base URL of the member's client port (the v3 JSON gateway lives there). */
  clientUrl: string;
  peerUrl: string;
  pid: number;
  process: Deno.ChildProcess;
  /** Last output lines (at most RECENT_LINES_MAX), kept to explain a failed start. */
  recentLines: string[];
}

/** A started etcd cluster and its temporary directory. */
export interface EtcdCluster {
  members: EtcdMember[];
  dataDir: string;
}

/** The etcd binary (Debian's `etcd-server` package installs it on PATH). */
export const ETCD_BINARY = "etcd";
const RECENT_LINES_MAX = 20;
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const HEALTH_REQUEST_TIMEOUT_MS = 1_000;
const POLL_INTERVAL_MS = 100;

/** True when an `etcd` binary runs (`etcd --version`). */
export async function etcdInstalled(): Promise<boolean> {
  try {
    const output = await new Deno.Command(ETCD_BINARY, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return output.success;
  } catch {
    return false;
  }
}

/** The version line of the installed etcd, e.g. "etcd Version: 3.4.23". */
export async function etcdVersion(): Promise<string> {
  const output = await new Deno.Command(ETCD_BINARY, { args: ["--version"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(output.stdout).split("\n")[0] ?? "";
}

/**
 * Starts `memberCount` etcd members on 127.0.0.1, their data in a fresh directory inside
 * `parentDir` (the system's temporary directory by default), and waits until each is healthy.
 */
export async function startEtcdCluster(
  memberCount: number,
  parentDir?: string,
): Promise<EtcdCluster> {
  const dataDir = await Deno.makeTempDir({
    prefix: "dsync-bench-etcd-",
    ...(parentDir === undefined ? {} : { dir: parentDir }),
  });
  const base = freePortRange(memberCount * 2);
  const ports = Array.from({ length: memberCount * 2 }, (_, i) => base + i);
  const plan = Array.from({ length: memberCount }, (_, i) => ({
    name: `e${i + 1}`,
    clientUrl: `http://127.0.0.1:${ports[i]}`,
    peerUrl: `http://127.0.0.1:${ports[memberCount + i]}`,
  }));
  const initialCluster = plan.map((member) => `${member.name}=${member.peerUrl}`).join(",");
  const token = `dsync-bench-${crypto.randomUUID()}`;
  const members = plan.map((member) =>
    spawnMember(member, `${dataDir}/${member.name}`, initialCluster, token)
  );
  const cluster = { members, dataDir };
  try {
    await Promise.all(members.map(waitHealthy));
  } catch (error) {
    await stopEtcdCluster(cluster);
    throw error;
  }
  return cluster;
}

function spawnMember(
  member: { name: string; clientUrl: string; peerUrl: string },
  dataDir: string,
  initialCluster: string,
  token: string,
): EtcdMember {
  const process = new Deno.Command(ETCD_BINARY, {
    args: [
      "--name",
      member.name,
      "--data-dir",
      dataDir,
      "--listen-client-urls",
      member.clientUrl,
      "--advertise-client-urls",
      member.clientUrl,
      "--listen-peer-urls",
      member.peerUrl,
      "--initial-advertise-peer-urls",
      member.peerUrl,
      "--initial-cluster",
      initialCluster,
      "--initial-cluster-state",
      "new",
      "--initial-cluster-token",
      token,
      "--logger",
      "zap",
      "--log-level",
      "warn",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const started: EtcdMember = { ...member, pid: process.pid, process, recentLines: [] };
  const keep = (line: string) => {
    started.recentLines.push(line);
    if (started.recentLines.length > RECENT_LINES_MAX) started.recentLines.shift();
  };
  void readLines(process.stdout, keep).catch(() => {});
  void readLines(process.stderr, keep).catch(() => {});
  return started;
}

async function waitHealthy(member: EtcdMember): Promise<void> {
  let exited = false;
  void member.process.status.then(() => exited = true);
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (exited) {
      const status = await member.process.status;
      throw new Error(
        `etcd member ${member.name} exited during start (code ${status.code}): ` +
          (member.recentLines.slice(-3).join(" | ") || "no output"),
      );
    }
    try {
      const response = await fetch(`${member.clientUrl}/health`, {
        signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS),
      });
      const body = await response.json() as { health?: unknown };
      if (body.health === "true" || body.health === true) return;
    } catch {
      // not listening yet, or no leader yet
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(
    `etcd member ${member.name} not healthy within ${START_TIMEOUT_MS} ms: ` +
      (member.recentLines.at(-1) ?? "no output"),
  );
}

/** The client URL of the member that is leader now (from `/v3/maintenance/status`). */
export async function findEtcdLeaderUrl(cluster: EtcdCluster): Promise<string> {
  for (const member of cluster.members) {
    const response = await fetch(`${member.clientUrl}/v3/maintenance/status`, {
      method: "POST",
      body: "{}",
      signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS),
    });
    const status = await response.json() as { header?: { member_id?: string }; leader?: string };
    if (status.leader !== undefined && status.leader === status.header?.member_id) {
      return member.clientUrl;
    }
  }
  throw new Error("Cannot find the etcd leader: no member reports itself as leader");
}

/** SIGTERM to every member by PID (SIGKILL after a grace period), then removes the data. */
export async function stopEtcdCluster(cluster: EtcdCluster): Promise<void> {
  await Promise.all(cluster.members.map(async (member) => {
    try {
      member.process.kill("SIGTERM");
    } catch {
      return; // already exited
    }
    const timer = setTimeout(() => {
      try {
        member.process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, STOP_GRACE_MS);
    await member.process.status;
    clearTimeout(timer);
  }));
  await Deno.remove(cluster.dataDir, { recursive: true }).catch(() => {});
}
