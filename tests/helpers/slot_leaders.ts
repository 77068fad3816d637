/** Waiting until a process test's cluster has placed its slot leaders. */
import type { Redis } from "ioredis";
import { eventually } from "./node_harness.ts";

/**
 * Every slot group led by its preferred leader and settled, as the nodes count it (INFO slots:
 * each node leads as many slots as the placement prefers it for, none unsettled, all led): after
 * a start the placement still moves leaders to their preferred nodes, and a request meanwhile
 * may wait for the move (a queue POP skips the partition, a new cache home waits out leases).
 * `clients[i]` talks to node `ids[i]`.
 */
export async function slotLeadersPlaced(
  clients: Redis[],
  ids: string[],
  slotCount: number,
): Promise<void> {
  await eventually(`${slotCount} slot groups led by their preferred leaders`, async () => {
    let led = 0;
    for (const [i, redis] of clients.entries()) {
      const info = await redis.info("slots");
      const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? -1);
      const leads = field("slots_led");
      if (leads !== field(`slots_preferred_${ids[i]}`) || field("slots_led_unsettled") !== 0) {
        return false;
      }
      led += leads;
    }
    return led === slotCount;
  }, 30_000);
}
