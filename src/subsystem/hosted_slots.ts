import type { RaftHost } from "../consensus/raft_host.ts";
import type { SubsystemContext } from "./subsystem.ts";

/** A slot hosted on this node: its group's host and one subsystem's machine for it. */
export interface HostedSlot<M> {
  host: RaftHost<unknown>;
  machine: M;
}

/** The lookups a slot service needs: one hosted slot, or every hosted slot in slot order. */
export interface HostedSlots<M> {
  slotOf(slot: number): HostedSlot<M> | undefined;
  hosted(): Array<readonly [number, HostedSlot<M>]>;
}

/** `machines` (a subsystem's machine per slot) joined with the slot groups hosted here. */
export function hostedSlots<M>(
  context: Pick<SubsystemContext, "slotHost" | "slotHosts">,
  machines: ReadonlyMap<number, M>,
): HostedSlots<M> {
  const slotOf = (slot: number): HostedSlot<M> | undefined => {
    const host = context.slotHost(slot);
    const machine = machines.get(slot);
    return host === undefined || machine === undefined ? undefined : { host, machine };
  };
  return {
    slotOf,
    hosted: () =>
      context.slotHosts().flatMap(([slot]) => {
        const hosted = slotOf(slot);
        return hosted === undefined ? [] : [[slot, hosted] as const];
      }),
  };
}
