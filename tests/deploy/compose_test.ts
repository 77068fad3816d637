/**
 * compose.yaml cannot drift from the CLI: its three node services are started as local processes
 * with exactly the command and environment the file gives them, and must form one cluster.
 * Remapped for one host (the only changes): every `SERVICE:PORT` and wildcard `0.0.0.0:PORT`
 * address becomes `127.0.0.1:<a free port>` (one per service and port, the same wherever it
 * appears), and a volume's mount point (`/data`) becomes a temporary directory per service.
 * A `${NAME:-default}` is its default, as compose reads it with NAME unset (the redis profile's
 * DSYNC_CACHE_BACKEND is empty here: tests/cluster/cache_backend_test.ts covers the backend).
 * The Dockerfile's entry point is `dsync`, so a service's command is `dsync COMMAND`. Also
 * checked: Prometheus scrapes every node's metrics address, and every metric the Grafana
 * dashboard draws exists on a running node.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { dsyncInvocation } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { readLines } from "../../src/util/read_lines.ts";
import { eventually } from "../helpers/node_harness.ts";
import { call, clusterInfo } from "../helpers/resp_call.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** Variables handed through besides the file's: what `deno` itself needs to find its cache. */
const PASSED_THROUGH = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"];

interface Service {
  build?: unknown;
  command?: string[];
  entrypoint?: unknown;
  environment?: Record<string, string | number>;
  volumes?: string[];
}

/** The node services: those built from the Dockerfile. */
function nodeServices(compose: { services: Record<string, Service> }): Map<string, Service> {
  return new Map(Object.entries(compose.services).filter(([, service]) => service.build === "."));
}

/** Rewrites addresses and volume paths of `value` for service `self` (see the module comment). */
function remap(
  value: string,
  self: string,
  services: Set<string>,
  ports: Map<string, number>,
  mounts: Map<string, string>,
): string {
  if (mounts.has(value)) return mounts.get(value)!;
  value = value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
  return value.replace(/(?<![\w.-])([A-Za-z0-9_.-]+):(\d+)\b/g, (whole, host: string, port) => {
    const owner = host === "0.0.0.0" ? self : services.has(host) ? host : null;
    if (owner === null) return whole;
    const key = `${owner}:${port}`;
    if (!ports.has(key)) ports.set(key, freePort());
    return `127.0.0.1:${ports.get(key)}`;
  });
}

Deno.test("compose.yaml: its three nodes, started as it says, form a cluster", async () => {
  const compose = parse(await Deno.readTextFile(`${ROOT}compose.yaml`), { merge: true });
  const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
  assert.match(dockerfile, /^ENTRYPOINT \["\/usr\/local\/bin\/dsync"\]$/m);
  assert.match(dockerfile, /deno task compile/);
  const services = nodeServices(compose);
  assert.deepEqual([...services.keys()], ["n1", "n2", "n3"]);
  const names = new Set(Object.keys(compose.services));
  const ports = new Map<string, number>();
  const dataRoot = await Deno.makeTempDir();
  const processes: Array<{ id: string; child: Deno.ChildProcess; lines: string[] }> = [];
  const passed = Object.fromEntries(
    PASSED_THROUGH.flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
  try {
    for (const [id, service] of services) {
      assert.equal(service.entrypoint, undefined, `${id} keeps the image's entry point`);
      const command = service.command ?? [];
      assert.ok(command.every((arg) => !arg.startsWith("--")), `${id}: options as DSYNC_* only`);
      const env = service.environment ?? {};
      for (const name of Object.keys(env)) assert.match(name, /^DSYNC_[A-Z_]+$/);
      const mounts = new Map(
        (service.volumes ?? []).map((volume) => [volume.split(":")[1]!, `${dataRoot}/${id}`]),
      );
      const localEnv = Object.fromEntries(
        Object.entries(env).map(([name, value]) => [
          name,
          remap(String(value), id, names, ports, mounts),
        ]),
      );
      const args = command.map((arg) => remap(arg, id, names, ports, mounts));
      const invocation = dsyncInvocation(args);
      const child = new Deno.Command(invocation.command, {
        args: invocation.args,
        env: { ...passed, ...localEnv },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const lines: string[] = [];
      void readLines(child.stdout, (line) => lines.push(line)).catch(() => {});
      void readLines(child.stderr, (line) => lines.push(line)).catch(() => {});
      processes.push({ id, child, lines });
    }
    const clientPort = (id: string) => ports.get(`${id}:7001`)!;
    for (const { id, child, lines } of processes) {
      let exited = false;
      void child.status.then(() => exited = true);
      await eventually(
        `${id} answers PING`,
        async () => {
          if (exited) throw new Error(`${id} exited:\n${lines.slice(-10).join("\n")}`);
          return await call(clientPort(id), "PING").catch(() => "") === "PONG";
        },
        30_000,
        100,
      ).catch((error) => {
        throw new Error(`${error}\n${lines.slice(-10).join("\n")}`);
      });
    }
    for (const { id } of processes) {
      await eventually(
        `${id} sees 3 healthy members and a leader`,
        async () => {
          const info = await clusterInfo(clientPort(id)).catch(() => null);
          return info?.get("healthy_members") === "3" && (info?.get("leader_id") ?? "") !== "";
        },
        30_000,
        100,
      );
    }
    await eventually(
      "a write through n1",
      async () => {
        return await call(clientPort("n1"), "SET", "compose", "works") === "OK";
      },
      15_000,
      100,
    );
    assert.equal(await call(clientPort("n3"), "GET", "compose"), "works");

    // Prometheus scrapes exactly the nodes' metrics addresses.
    const prometheus = parse(await Deno.readTextFile(`${ROOT}docs/deploy/prometheus.yml`));
    const targets = prometheus.scrape_configs[0].static_configs[0].targets as string[];
    const expected = [...services].map(([id, service]) =>
      String(service.environment?.DSYNC_METRICS).replace("0.0.0.0", id)
    );
    assert.deepEqual(targets, expected);
    // Every node is ready, and every metric the dashboard draws exists.
    const metricsPort = (id: string) => ports.get(`${id}:9464`)!;
    for (const { id } of processes) {
      await eventually(
        `${id} /health 200`,
        async () => {
          const response = await fetch(`http://127.0.0.1:${metricsPort(id)}/health`);
          await response.body?.cancel();
          return response.status === 200;
        },
        30_000,
        100,
      );
    }
    const exposed = await (await fetch(`http://127.0.0.1:${metricsPort("n1")}/metrics`)).text();
    const dashboard = JSON.parse(await Deno.readTextFile(`${ROOT}docs/deploy/grafana/dsync.json`));
    const drawn = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of target.expr.match(/dsync_[a-z_]+/g) ?? []) drawn.add(name);
      }
    }
    assert.ok(drawn.size >= 20, `the dashboard draws ${drawn.size} metrics`);
    for (const name of drawn) {
      assert.match(exposed, new RegExp(`^${name}(\\{| )`, "m"), `${name} is not exported`);
    }
  } finally {
    for (const { child } of processes) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
    }
    await Deno.remove(dataRoot, { recursive: true }).catch(() => {});
  }
});
