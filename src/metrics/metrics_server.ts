import client from "prom-client";
import type { NodeServices } from "../commands/node_services.ts";
import type { HostPort } from "../util/host_port.ts";
import type { MetricSource } from "./metric_source.ts";

/** Prometheus `/metrics` and a `/health` probe, served over HTTP on `--metrics`. */
export class MetricsServer {
  readonly #registry = new client.Registry();
  readonly #services: NodeServices;
  #server: Deno.HttpServer | null = null;

  /** `sources`: the metrics the subsystems export, besides the node's own. */
  constructor(services: NodeServices, sources: readonly MetricSource[] = []) {
    this.#services = services;
    this.#registerGauges();
    for (const source of sources) {
      const read = source.value;
      new client.Gauge({
        name: source.name,
        help: source.help,
        registers: [this.#registry],
        collect() {
          this.set(read());
        },
      });
    }
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
    if (path === "/health") {
      const info = this.#services.cluster.info();
      const disk = this.#services.disk();
      // A full disk: reads are still served, writes are refused, so the node is degraded and
      // not ready for writes (503, so a load balancer or readiness probe moves writers away).
      const body = {
        status: disk.full ? "degraded" : "ok",
        ...(disk.full ? { reason: "disk full: writes refused with NOSPACE, reads served" } : {}),
        nodeId: info.nodeId,
        role: info.role,
        leaderId: info.leaderId,
        members: info.memberCount,
        healthyMembers: info.healthyMemberCount,
        disk: disk.full ? "full" : "ok",
        diskFullForMs: disk.fullForMs,
      };
      return Response.json(body, { status: disk.full ? 503 : 200 });
    }
    return new Response("not found: try /metrics or /health\n", { status: 404 });
  }

  #registerGauges(): void {
    const services = this.#services;
    const registers = [this.#registry];
    const stat = (name: string, help: string, read: () => number) =>
      new client.Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    const stats = services.stats;
    stat(
      "dsync_connections_received_total",
      "Client connections accepted",
      () => stats.connectionsReceived,
    );
    stat(
      "dsync_connections_rejected_total",
      "Client connections refused (max clients)",
      () => stats.connectionsRejected,
    );
    stat(
      "dsync_commands_processed_total",
      "Client commands processed",
      () => stats.commandsProcessed,
    );
    stat(
      "dsync_protocol_errors_total",
      "Clients dropped for malformed input",
      () => stats.protocolErrors,
    );
    stat(
      "dsync_output_limit_disconnects_total",
      "Clients dropped over the output limit",
      () => stats.outputLimitDisconnects,
    );
    stat(
      "dsync_requests_shed_total",
      "Requests refused with -LIMIT while the node was overloaded",
      () => stats.requestsShed,
    );
    stat(
      "dsync_client_reads_deferred_total",
      "Client reads deferred to a later event-loop turn (per-turn budget spent)",
      () => stats.clientReadsDeferred,
    );
    stat(
      "dsync_peer_down_marks_total",
      "Peers marked down by this node's failure detector",
      () => stats.peerDownMarks,
    );
    stat(
      "dsync_event_loop_stall_max_ms",
      "Longest event-loop stall since start (a probe late by this much)",
      () => stats.loop.stallMaxMs,
    );
    stat(
      "dsync_event_loop_stall_recent_max_ms",
      "Longest event-loop stall in the last 30 to 60 s",
      () => stats.loop.stallRecentMaxMs,
    );
    stat(
      "dsync_event_loop_stalls_total",
      "Event-loop turns late by more than a Raft tick",
      () => stats.loop.stallCount,
    );
    stat("dsync_net_input_bytes_total", "Bytes read from clients", () => stats.inputBytes);
    stat("dsync_net_output_bytes_total", "Bytes written to clients", () => stats.outputBytes);
    stat("dsync_connected_clients", "Connected clients", () => [...services.sessions()].length);
    stat(
      "dsync_cluster_members",
      "Members of the cluster",
      () => services.cluster.info().memberCount,
    );
    stat(
      "dsync_cluster_healthy_members",
      "Members seen up by this node",
      () => services.cluster.info().healthyMemberCount,
    );
    stat(
      "dsync_raft_term",
      "Current Raft term of the meta group",
      () => services.cluster.info().term,
    );
    stat(
      "dsync_disk_full",
      "1 while this node's disk is full, else 0",
      () => services.disk().full ? 1 : 0,
    );
    stat(
      "dsync_nospace_refusals_total",
      "Writes refused with NOSPACE because this node's disk is full",
      () => services.disk().noSpaceRefusals,
    );
    stat(
      "dsync_uptime_seconds",
      "Seconds since the node started",
      () => (services.nowMs() - services.startedAtMs) / 1000,
    );
  }
}
