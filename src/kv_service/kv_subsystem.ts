import { BULK_BYTES_LIMIT, type NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { KV_KEY_BYTES_MAX, KV_LIMITS_DEFAULT } from "../kv/mod.ts";
import {
  SLOT_PART_TAGS,
  type Subsystem,
  type SubsystemContext,
  type SubsystemFactory,
} from "../subsystem/subsystem.ts";
import { hostedSlots } from "../subsystem/hosted_slots.ts";
import { kvCommands } from "./kv_commands.ts";
import { KvMachine } from "./kv_machine.ts";
import { KvService } from "./kv_service.ts";

/** Bytes a slot group's Raft entry may take: one SET of the largest value and key fits. */
export function kvEntryBytesMax(config: NodeConfig): number {
  return Math.max(1024 * 1024, config.bulkBytesMax + KV_KEY_BYTES_MAX + 1024);
}

/** How the node plugs the store in when the cache stands in front of it. */
export interface KvSubsystemOptions {
  /** False: GET/SET/... come from another subsystem (the cache); KV.SHARE stays. */
  clientCommands: boolean;
  /** Called with the service once built (the cache's homes read and commit through it). */
  onService?(service: KvService): void;
}

/** The key-value subsystem's factory: nothing in the meta group; its machines are the slots'. */
export function kvSubsystemFactory(
  config: NodeConfig,
  logger: Logger,
  options: KvSubsystemOptions = { clientCommands: true },
): SubsystemFactory {
  return {
    name: "kv",
    metaMachines: [],
    build: (_meta, context) => kvSubsystem(config, context, logger, options),
  };
}

/**
 * The key-value store: GET/SET/DEL/EXISTS/MGET/MSET/PTTL split by slot on the client's node and
 * run on each slot group's leader over a KvMachine per slot; INFO `keyspace`, metrics.
 */
export function kvSubsystem(
  config: NodeConfig,
  context: SubsystemContext,
  logger: Logger,
  options: KvSubsystemOptions = { clientCommands: true },
): Subsystem {
  const nowMs = () => performance.now();
  // The same on every replica (a node's --max-bulk-bytes is checked before it proposes).
  const limits = { ...KV_LIMITS_DEFAULT, valueBytesMax: BULK_BYTES_LIMIT };
  const machines = new Map<number, KvMachine>();
  const service = new KvService({
    ...hostedSlots(context, machines),
    entryBytesMax: kvEntryBytesMax(config),
    expiryCheckMs: config.raftTickMs,
    nowMs,
    logger: logger.with({ component: "kv" }),
  });
  options.onService?.(service);
  const totals = () => {
    let keys = 0;
    let bytes = 0;
    for (const machine of machines.values()) {
      keys += machine.slot.keyCount;
      bytes += machine.slot.bytes;
    }
    return { keys, bytes };
  };
  return {
    name: "kv",
    commands: kvCommands({
      service,
      valueBytesMax: config.bulkBytesMax,
      slotCount: () => context.slotCount(),
      slotOfGroup: (groupId) => context.slotOfGroup(groupId),
      callBytes: (args, user) => context.callBytes(args, user),
    }).filter((spec) => options.clientCommands || spec.name === "kv.share"),
    slotPartTag: SLOT_PART_TAGS.kv,
    slotMachine(slot) {
      const machine = new KvMachine(limits, nowMs);
      machines.set(slot, machine);
      return machine;
    },
    slotDropped(slot) {
      machines.delete(slot);
    },
    infoSections: [{
      name: "keyspace",
      fields: () => {
        const { keys, bytes } = totals();
        return [
          ["kv_slots_hosted", machines.size],
          ["kv_keys", keys],
          ["kv_bytes", bytes],
          ["kv_reads", service.stats.reads],
          ["kv_writes", service.stats.writes],
          ["kv_expiries_proposed", service.stats.expiriesProposed],
          ["kv_refused_limit", service.stats.refusedLimit],
        ];
      },
    }],
    metrics: [
      { name: "dsync_kv_keys", help: "Keys in the slots hosted here", value: () => totals().keys },
      {
        name: "dsync_kv_bytes",
        help: "Bytes of the slots hosted here",
        value: () => totals().bytes,
      },
      {
        name: "dsync_kv_writes_total",
        help: "Key-value writes led here",
        value: () => service.stats.writes,
      },
      {
        name: "dsync_kv_reads_total",
        help: "Key-value reads served here",
        value: () => service.stats.reads,
      },
      {
        name: "dsync_kv_expiries_proposed_total",
        help: "Key expiries proposed by this node as slot leader",
        value: () => service.stats.expiriesProposed,
      },
      {
        name: "dsync_kv_refused_limit_total",
        help: "Key-value writes refused with -LIMIT",
        value: () => service.stats.refusedLimit,
      },
    ],
    start: () => service.start(),
    stop: () => service.stop(),
  };
}
