/**
 * When the nemesis may wipe a node without leaving the fault model (a majority of every Raft
 * group keeps its data): only when every slot group has all its placed replicas back as voters,
 * so no group still waits for an earlier wiped node to be re-added. Pure: it judges the `INFO
 * slots` text of every node, fetched by the runner.
 */

/** The `INFO slots` fields the rule reads, of one node. */
export interface SlotsView {
  /** Node id. */
  readonly id: string;
  /** `INFO slots` text, or null when the node did not answer. */
  readonly text: string | null;
}

/** Why a wipe may not happen now, or null when it may. */
export function wipeRefusal(views: readonly SlotsView[]): string | null {
  const ids = views.map((view) => view.id).sort().join(",");
  let slotCount: number | null = null;
  let led = 0;
  let unsettled = 0;
  for (const view of views) {
    if (view.text === null) return `${view.id} does not answer INFO slots`;
    const fields = parseFields(view.text);
    const count = numberField(fields, "slot_count");
    const hosted = numberField(fields, "slots_hosted");
    const placed = numberField(fields, "slots_placed_here");
    const ledHere = numberField(fields, "slots_led");
    const unsettledHere = numberField(fields, "slots_led_unsettled");
    if ([count, hosted, placed, ledHere, unsettledHere].includes(null)) {
      return `${view.id}'s INFO slots lacks a field`;
    }
    if (fields.get("placement_members") !== ids) {
      return `${view.id}'s placement is ${fields.get("placement_members")}, not ${ids}`;
    }
    if (slotCount !== null && count !== slotCount) return "the nodes disagree on the slot count";
    slotCount = count;
    if (hosted !== placed) return `${view.id} hosts ${hosted} of its ${placed} placed slots`;
    led += ledHere!;
    unsettled += unsettledHere!;
  }
  if (slotCount === null) return "no node";
  if (led !== slotCount) return `${led} slot leaders for ${slotCount} slots`;
  if (unsettled > 0) return `${unsettled} slot groups without all their replicas as voters`;
  return null;
}

function parseFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

function numberField(fields: Map<string, string>, name: string): number | null {
  const value = fields.get(name);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}
