/**
 * The two queue systems of `bench:queue` and the report's queues section, started on 127.0.0.1
 * and ready for clients: a dsync cluster (queue commands answering) and a NATS JetStream cluster
 * (stream and shared consumer created). Each side says how to open a client and how to stop it.
 */
import { type NatsSync, startNatsCluster, stopNatsCluster } from "./nats_cluster.ts";
import { createNatsQueue, type NatsAckMode, NatsQueueClient } from "./nats_queue_client.ts";
import { DsyncQueueClient } from "./dsync_queue_client.ts";
import { startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import type { OpenQueueClient } from "./queue_workload.ts";
import { waitQueuesReady } from "./queue_ready.ts";

/** Fixed settings every queue measurement shares. */
export const QUEUE_BENCH = {
  /** The dsync queue every client uses. */
  queue: "benchq",
  /** Bytes of every payload (issue 12's 256). */
  payloadBytes: 256,
  /** WAIT of a take on an empty queue, ms. */
  takeWaitMs: 1_000,
  /** Bound on every request beyond its WAIT, ms. */
  requestTimeoutMs: 10_000,
  /** Longest wait for a started side to serve the queue (leaders elected), ms. */
  readyTimeoutMs: 30_000,
} as const;

/** A started queue system: clients open round-robin over its nodes. */
export interface QueueSide {
  system: string;
  open: OpenQueueClient;
  /** PIDs of its server processes. */
  pids: number[];
  /** Stops every process by PID and removes the data. */
  stop(): Promise<void>;
}

/** Starts `nodeCount` dsync nodes and waits until the queue answers. */
export async function startDsyncQueueSide(nodeCount: number, system: string): Promise<QueueSide> {
  const cluster = await startBenchCluster(nodeCount);
  const stop = () => stopBenchCluster(cluster);
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    await waitQueuesReady(ports[0]!, QUEUE_BENCH.queue, QUEUE_BENCH.readyTimeoutMs);
    const options = {
      queue: QUEUE_BENCH.queue,
      popWaitMs: QUEUE_BENCH.takeWaitMs,
      requestTimeoutMs: QUEUE_BENCH.requestTimeoutMs,
    };
    return {
      system,
      open: (i) => DsyncQueueClient.open(ports[i % ports.length]!, options),
      pids: cluster.nodes.map((node) => node.pid),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** How a NATS side is started. */
export interface NatsSideOptions {
  serverCount: number;
  /** Stream replicas (at most `serverCount`). */
  replicas: number;
  sync: NatsSync;
  ackMode: NatsAckMode;
}

/** Starts a NATS JetStream cluster and creates the stream and its consumer. */
export async function startNatsQueueSide(
  options: NatsSideOptions,
  system: string,
): Promise<QueueSide> {
  const cluster = await startNatsCluster(options.serverCount, options.sync);
  const stop = () => stopNatsCluster(cluster);
  try {
    const ports = cluster.servers.map((server) => server.clientPort);
    await createNatsQueue(
      ports[0]!,
      QUEUE_BENCH.requestTimeoutMs,
      QUEUE_BENCH.readyTimeoutMs,
      options.replicas,
    );
    const clientOptions = {
      ackMode: options.ackMode,
      fetchWaitMs: QUEUE_BENCH.takeWaitMs,
      requestTimeoutMs: QUEUE_BENCH.requestTimeoutMs,
    };
    return {
      system,
      open: (i) => NatsQueueClient.open(ports[i % ports.length]!, clientOptions),
      pids: cluster.servers.map((server) => server.pid),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
