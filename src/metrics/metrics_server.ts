import client from "prom-client";
import type { NodeServices } from "../commands/node_services.ts";
import type { NodeLogStats } from "../storage/mod.ts";
import type { HostPort } from "../util/host_port.ts";
import type { MetricSource } from "./metric_source.ts";
import { clientPortSources, clusterSources, logSources, raftGroupSources } from "./node_metrics.ts";
import { judgeReadiness, type ReadinessInput } from "./readiness.ts";
import { registerLabelled, registerSource } from "./register.ts";

/** What the metrics server reads besides the node's services. */
export interface MetricsInputs {
  /** Metrics the subsystems export, besides the node's own. */
  sources: readonly MetricSource[];
  /** The node log's counters. */
  logStats(): NodeLogStats;
  /** What `/health` judges readiness from (readiness.ts). */
  readiness(): ReadinessInput;
}

/** Prometheus `/metrics` and a `/health` readiness probe, served over HTTP on `--metrics`. */
export class MetricsServer {
  readonly #registry = new client.Registry();
  readonly #services: NodeServices;
  readonly #inputs: MetricsInputs;
  #server: Deno.HttpServer | null = null;

  constructor(services: NodeServices, inputs: MetricsInputs) {
    this.#services = services;
    this.#inputs = inputs;
    const sources = [
      ...clientPortSources(services),
      ...clusterSources(services),
      ...raftGroupSources(services),
      ...logSources(() => inputs.logStats()),
      ...inputs.sources,
      {
        name: "dsync_ready",
        help: "1 while /health reports this node ready, else 0",
        value: () => judgeReadiness(inputs.readiness()).ready ? 1 : 0,
      },
    ];
    for (const source of sources) registerSource(this.#registry, source);
    registerLabelled(
      this.#registry,
      "dsync_raft_groups_by_role",
      "Hosted Raft groups by this node's role in them",
      "role",
      () => {
        const counts = new Map([["leader", 0], ["follower", 0], ["candidate", 0]]);
        for (const group of services.raftGroups()) {
          if (group.purpose === "debug") continue;
          const role = group.status.role === "preCandidate" ? "candidate" : group.status.role;
          counts.set(role, (counts.get(role) ?? 0) + 1);
        }
        return [...counts];
      },
    );
  }

  /** Binds the metrics address. */
  listen(address: HostPort): void {
    this.#server = Deno.serve(
      { hostname: address.host, port: address.port, onListen: () => {} },
      (request) => this.#handle(request),
    );
  }

  /** Stops serving. */
  async close(): Promise<void> {
    await this.#server?.shutdown();
  }

  async #handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/metrics") {
      return new Response(await this.#registry.metrics(), {
        headers: { "content-type": this.#registry.contentType },
      });
    }
    if (path === "/health") return this.#health();
    return new Response("not found: try /metrics or /health\n", { status: 404 });
  }

  /** 200 when ready; 503 with the reasons otherwise (a full disk: `degraded`, reads served). */
  #health(): Response {
    const info = this.#services.cluster.info();
    const disk = this.#services.disk();
    const verdict = judgeReadiness(this.#inputs.readiness());
    const status = verdict.ready ? "ok" : disk.full ? "degraded" : "unavailable";
    const body = {
      status,
      ready: verdict.ready,
      reasons: verdict.reasons,
      ...(disk.full ? { reason: "disk full: writes refused with NOSPACE, reads served" } : {}),
      nodeId: info.nodeId,
      role: info.role,
      leaderId: info.leaderId,
      term: info.term,
      commitIndex: info.commitIndex,
      appliedIndex: info.appliedIndex,
      members: info.memberCount,
      healthyMembers: info.healthyMemberCount,
      disk: disk.full ? "full" : "ok",
      diskFullForMs: disk.fullForMs,
    };
    return Response.json(body, { status: verdict.ready ? 200 : 503 });
  }
}
