import { ClusterError } from "../consensus/cluster_error.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import type { MetaGroup } from "../meta/meta_group.ts";
import type { Subsystem, SubsystemContext, SubsystemFactory } from "../subsystem/subsystem.ts";
import { lockCommands } from "./lock_commands.ts";
import { LockService } from "./lock_service.ts";
import { LockMachine } from "./lock_machine.ts";

/** The lock subsystem's factory: the lock table's machine first, the rest over the open group. */
export function lockSubsystemFactory(config: NodeConfig, logger: Logger): SubsystemFactory {
  const machine = new LockMachine();
  return {
    name: "locks",
    metaMachines: [machine],
    build: (meta, context) => lockSubsystem(meta, machine, config, context, logger),
  };
}

/**
 * The lock subsystem: LOCK.* commands over a LockService whose table (`machine`, a MetaMachine
 * the node registered when it opened the meta group; slot groups later), its INFO section and its
 * metrics.
 */
export function lockSubsystem(
  meta: MetaGroup,
  machine: LockMachine,
  config: NodeConfig,
  context: SubsystemContext,
  logger: Logger,
): Subsystem {
  const limits = {
    ttlMinMs: config.lockTtlMinMs,
    ttlMaxMs: config.lockTtlMaxMs,
    waitMaxMs: config.lockWaitMaxMs,
  };
  const cancelOnLeader = async (name: string, owner: string, waiterId: number) => {
    const reply = await context.call(["LOCK.CANCELWAIT", name, owner, String(waiterId)]);
    if (reply.type === "integer") return reply.value === 1;
    throw new ClusterError("TIMEOUT", reply.type === "error" ? reply.value : "unexpected reply");
  };
  const service = new LockService(
    meta,
    machine,
    {
      ...limits,
      parkedMax: config.lockWaitsMax,
      expiryCheckMs: config.raftTickMs,
      requestTimeoutMs: config.requestTimeoutMs,
    },
    cancelOnLeader,
    logger,
  );
  const stats = () => machine.table.stats();
  return {
    name: "locks",
    commands: lockCommands(service, limits),
    infoSections: [{ name: "locks", fields: () => service.infoSection() }],
    metrics: [
      { name: "dsync_locks", help: "Locks with a holder or a waiter", value: () => stats().locks },
      { name: "dsync_lock_holders", help: "Lock grants held", value: () => stats().holders },
      { name: "dsync_lock_waiters", help: "Lock waits queued", value: () => stats().waiters },
      {
        name: "dsync_lock_waits_parked",
        help: "Lock waits parked on this node",
        value: () => service.parkedCount,
      },
      {
        name: "dsync_lock_last_fencing_token",
        help: "Last fencing token granted (grows by one per grant)",
        value: () => stats().lastToken,
      },
      {
        name: "dsync_lock_leases_tracked",
        help: "Leases whose expiry this node tracks (the meta leader tracks them all)",
        value: () => Number(service.infoSection().find(([key]) => key === "leases_tracked")?.[1]),
      },
    ],
    start: () => service.start(),
    stop: () => service.stop(),
  };
}
