import { BULK_BYTES_LIMIT, type NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { byteString } from "../kv/key.ts";
import { QUEUE_LIMITS_DEFAULT } from "../queues/mod.ts";
import {
  PEER_CODE_RANGES,
  SLOT_PART_TAGS,
  type Subsystem,
  type SubsystemContext,
  type SubsystemFactory,
} from "../subsystem/subsystem.ts";
import type { MetaGroup } from "../meta/meta_group.ts";
import { CLUSTER_SETTING } from "../meta/cluster_settings.ts";
import { kvEntryBytesMax } from "../kv_service/kv_subsystem.ts";
import { hostedSlots } from "../subsystem/hosted_slots.ts";
import { answerOfReply, queueCommands, shareArgs } from "./queue_commands.ts";
import { QueueFrontend } from "./queue_frontend.ts";
import { QueueMachine } from "./queue_machine.ts";
import { QueueService } from "./queue_service.ts";
import { ParkedPops } from "./parked_pops.ts";
import { ReadyNotices } from "./ready_notices.ts";
import { queueInfoFields, queueMetrics } from "./queue_info.ts";

/** The queue subsystem's factory: nothing in the meta group; its machines are slot parts. */
export function queueSubsystemFactory(config: NodeConfig, logger: Logger): SubsystemFactory {
  return {
    name: "queues",
    metaMachines: [],
    build: (meta, context) => queueSubsystem(config, context, logger, meta),
  };
}

/**
 * Queues: QUEUE.* parsed on the client's node, each partition's share run on its slot group's
 * leader over a QueueMachine per slot, POP WAIT parked on the client's node and woken by
 * QueueReady notices; INFO `queues`, metrics.
 */
export function queueSubsystem(
  config: NodeConfig,
  context: SubsystemContext,
  logger: Logger,
  meta: MetaGroup,
): Subsystem {
  const partitions = () => meta.settings.value(CLUSTER_SETTING.queuePartitions);
  const nowMs = () => performance.now();
  // The same on every replica (a node's --max-bulk-bytes is checked before it proposes).
  const limits = { ...QUEUE_LIMITS_DEFAULT, payloadBytesMax: BULK_BYTES_LIMIT };
  const machines = new Map<number, QueueMachine>();
  const parked = new ParkedPops(config.queueWaitsMax);
  const notices = new ReadyNotices(
    (queueKey, count) => parked.wake(queueKey, count),
    (message) => context.broadcast(message),
  );
  const service = new QueueService({
    ...hostedSlots(context, machines),
    entryBytesMax: kvEntryBytesMax(config),
    timerCheckMs: config.raftTickMs,
    nowMs,
    logger: logger.with({ component: "queues" }),
  });
  const argumentLimits = {
    payloadBytesMax: config.bulkBytesMax,
    get partitions() {
      return partitions();
    },
    waitMaxMs: config.queueWaitMaxMs,
  };
  const frontend = new QueueFrontend({
    partitions,
    slotCount: () => context.slotCount(),
    leadsSlot: (slot) => context.slotHost(slot)?.leading ?? false,
    runShare: async (call, partition, countMax) => {
      const args = shareArgs(call.args, call.request, partition, countMax);
      return answerOfReply(call.request, await context.callBytes(args));
    },
    parked,
    nowMs,
  });
  return {
    name: "queues",
    commands: queueCommands({
      frontend,
      service,
      limits: argumentLimits,
      slotOfGroup: (groupId) => context.slotOfGroup(groupId),
    }),
    slotPartTag: SLOT_PART_TAGS.queues,
    slotMachine(slot) {
      const machine = new QueueMachine(
        limits,
        nowMs,
        (queueKey, count) => notices.note(queueKey, count),
      );
      machines.set(slot, machine);
      return machine;
    },
    peerHandlers: {
      range: PEER_CODE_RANGES.queues,
      handlers: [["queueReady", (_from, message) => {
        if (message.type !== "queueReady") return;
        for (const item of message.queues) parked.wake(byteString(item.queue), item.count);
      }]],
    },
    infoSections: [{
      name: "queues",
      fields: () => queueInfoFields(partitions(), machines, service, parked, notices),
    }],
    metrics: queueMetrics(machines, service, parked),
    start: () => service.start(),
    stop: () => {
      service.stop();
      parked.wakeAll();
    },
  };
}
