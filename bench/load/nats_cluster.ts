/**
 * A local NATS JetStream cluster of real `nats-server` processes on 127.0.0.1 for load tools:
 * three servers routed to each other, each with its own temporary store, one config file each,
 * stopped by PID. `sync: "always"` adds `sync_interval: always` (fsync before every ack), which
 * only nats-server 2.10 and later accept: `natsSyncAlwaysSupported()` asks the installed one.
 * Debian: `apt-get install -y nats-server`.
 */
import { freePort, freePortRange } from "../../src/util/free_ports.ts";
import { readLines } from "../../src/util/read_lines.ts";

/** The nats-server binary on PATH. */
export const NATS_BINARY = "nats-server";
/** How JetStream flushes its files: as shipped (a background sync every 2 minutes) or always. */
export type NatsSync = "default" | "always";

/** One started server. */
export interface NatsServer {
  name: string;
  clientPort: number;
  pid: number;
  process: Deno.ChildProcess;
  /** Last output lines (at most RECENT_LINES_MAX), kept to explain a failed start. */
  recentLines: string[];
}

/** A started cluster and its temporary directory. */
export interface NatsCluster {
  servers: NatsServer[];
  sync: NatsSync;
  dataDir: string;
}

const RECENT_LINES_MAX = 20;
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const POLL_INTERVAL_MS = 100;

/** The installed version line, e.g. "nats-server: v2.9.10", or null when there is none. */
export async function natsVersion(): Promise<string | null> {
  try {
    const output = await new Deno.Command(NATS_BINARY, {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) return null;
    return new TextDecoder().decode(output.stdout).trim();
  } catch {
    return null;
  }
}

/**
 * True when the installed nats-server accepts `sync_interval: always` (checked with `-t` on a
 * config that has it: older servers refuse it as an unknown field).
 */
export async function natsSyncAlwaysSupported(): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "dsync-bench-nats-probe-" });
  try {
    const path = `${dir}/probe.conf`;
    await Deno.writeTextFile(
      path,
      configText("probe", freePort(), 0, [], `${dir}/store`, "always"),
    );
    const output = await new Deno.Command(NATS_BINARY, {
      args: ["-c", path, "-t"],
      stdout: "null",
      stderr: "null",
    }).output();
    return output.success;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The config of one server: client port, JetStream store, cluster listen port and routes. */
function configText(
  name: string,
  clientPort: number,
  routePort: number,
  routePorts: number[],
  storeDir: string,
  sync: NatsSync,
): string {
  const lines = [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${clientPort}`,
    "jetstream {",
    `  store_dir: ${JSON.stringify(storeDir)}`,
    ...(sync === "always" ? ["  sync_interval: always"] : []),
    "}",
  ];
  if (routePort !== 0) {
    lines.push(
      "cluster {",
      "  name: dsync-bench",
      `  listen: 127.0.0.1:${routePort}`,
      `  routes: [${routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(", ")}]`,
      "}",
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Starts `serverCount` clustered servers (one alone: standalone) and waits until each accepts TCP
 * connections.
 */
export async function startNatsCluster(serverCount: number, sync: NatsSync): Promise<NatsCluster> {
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-bench-nats-" });
  const base = freePortRange(serverCount * 2);
  const routePorts = Array.from({ length: serverCount }, (_, i) => base + serverCount + i);
  const servers: NatsServer[] = [];
  const cluster = { servers, sync, dataDir };
  try {
    for (let i = 0; i < serverCount; i++) {
      const name = `nats${i + 1}`;
      const path = `${dataDir}/${name}.conf`;
      const others = routePorts.filter((_, j) => j !== i);
      await Deno.writeTextFile(
        path,
        // One server runs JetStream standalone: a cluster block without routes is refused.
        configText(
          name,
          base + i,
          serverCount === 1 ? 0 : routePorts[i]!,
          others,
          `${dataDir}/${name}`,
          sync,
        ),
      );
      servers.push(spawnServer(name, base + i, path));
    }
    await Promise.all(servers.map(waitListening));
  } catch (error) {
    await stopNatsCluster(cluster);
    throw error;
  }
  return cluster;
}

function spawnServer(name: string, clientPort: number, configPath: string): NatsServer {
  const process = new Deno.Command(NATS_BINARY, {
    args: ["-c", configPath],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server: NatsServer = { name, clientPort, pid: process.pid, process, recentLines: [] };
  const keep = (line: string) => {
    server.recentLines.push(line);
    if (server.recentLines.length > RECENT_LINES_MAX) server.recentLines.shift();
  };
  void readLines(process.stdout, keep).catch(() => {});
  void readLines(process.stderr, keep).catch(() => {});
  return server;
}

async function waitListening(server: NatsServer): Promise<void> {
  let exited = false;
  void server.process.status.then(() => exited = true);
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (exited) {
      const status = await server.process.status;
      throw new Error(
        `nats-server ${server.name} exited during start (code ${status.code}): ` +
          (server.recentLines.slice(-3).join(" | ") || "no output"),
      );
    }
    if (await listening(server.clientPort)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`nats-server ${server.name} not listening within ${START_TIMEOUT_MS} ms`);
}

async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to every server by PID (SIGKILL after a grace period), then removes the data. */
export async function stopNatsCluster(cluster: NatsCluster): Promise<void> {
  await Promise.all(cluster.servers.map(async (server) => {
    try {
      server.process.kill("SIGTERM");
    } catch {
      return; // already exited
    }
    const timer = setTimeout(() => {
      try {
        server.process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, STOP_GRACE_MS);
    await server.process.status;
    clearTimeout(timer);
  }));
  await Deno.remove(cluster.dataDir, { recursive: true }).catch(() => {});
}
