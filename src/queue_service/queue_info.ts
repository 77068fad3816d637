import type { MetricSource } from "../metrics/metric_source.ts";
import type { ParkedPops } from "./parked_pops.ts";
import type { QueueMachine } from "./queue_machine.ts";
import type { QueueService } from "./queue_service.ts";
import type { ReadyNotices } from "./ready_notices.ts";

/** Slots and bytes of the queue state hosted here, and the slots this node leads. */
function totals(machines: ReadonlyMap<number, QueueMachine>) {
  let bytes = 0;
  let partitions = 0;
  let led = 0;
  for (const machine of machines.values()) {
    bytes += machine.slot.bytes;
    partitions += machine.slot.partitionCount;
    if (machine.tracking) led++;
  }
  return { bytes, partitions, led };
}

/** The `queues` INFO section. */
export function queueInfoFields(
  partitionsPerQueue: number,
  machines: ReadonlyMap<number, QueueMachine>,
  service: QueueService,
  parked: ParkedPops,
  notices: ReadyNotices,
): Array<[string, number]> {
  const { bytes, partitions, led } = totals(machines);
  const stats = service.stats;
  return [
    ["queue_partitions_per_queue", partitionsPerQueue],
    ["queue_slots_hosted", machines.size],
    ["queue_slots_led", led],
    ["queue_partitions_hosted", partitions],
    ["queue_bytes", bytes],
    ["queue_pushes", stats.pushes],
    ["queue_delivers", stats.delivers],
    ["queue_delivered", stats.delivered],
    ["queue_acks", stats.acks],
    ["queue_reads", stats.reads],
    ["queue_ticks_proposed", stats.ticksProposed],
    ["queue_refused_limit", stats.refusedLimit],
    ["queue_pops_parked", parked.size],
    ["queue_pops_parked_max", parked.max],
    ["queue_wakes_received", parked.stats.wakes],
    ["queue_pops_woken", parked.stats.woken],
    ["queue_ready_frames_sent", notices.framesSent],
  ];
}

/** Queue metrics of this node. */
export function queueMetrics(
  machines: ReadonlyMap<number, QueueMachine>,
  service: QueueService,
  parked: ParkedPops,
): MetricSource[] {
  return [
    {
      name: "dsync_queue_bytes",
      help: "Bytes of live queue messages in the slots hosted here",
      value: () => totals(machines).bytes,
    },
    {
      name: "dsync_queue_pushes_total",
      help: "Queue pushes led here",
      value: () => service.stats.pushes,
    },
    {
      name: "dsync_queue_delivered_total",
      help: "Queue messages delivered by slots led here",
      value: () => service.stats.delivered,
    },
    {
      name: "dsync_queue_acks_total",
      help: "Queue acks led here",
      value: () => service.stats.acks,
    },
    {
      name: "dsync_queue_pops_parked",
      help: "QUEUE.POP WAITs parked on this node",
      value: () => parked.size,
    },
  ];
}
