import assert from "node:assert/strict";
import { type SlotsView, wipeRefusal } from "./wipe_rule.ts";

/** `INFO slots` text of a node of a 3-node, 4-slot cluster. */
function info(fields: Record<string, string | number> = {}): string {
  const all = {
    slot_count: 4,
    placement_members: "n1,n2,n3",
    slots_placed_here: 4,
    slots_hosted: 4,
    slots_led: 0,
    slots_led_unsettled: 0,
    ...fields,
  };
  return "# Slots\r\n" + Object.entries(all).map(([k, v]) => `${k}:${v}\r\n`).join("");
}

function views(...texts: (string | null)[]): SlotsView[] {
  return texts.map((text, i) => ({ id: `n${i + 1}`, text }));
}

Deno.test("wipe rule: allowed once every slot group is led and has all its replicas as voters", () => {
  const settled = views(info({ slots_led: 2 }), info({ slots_led: 1 }), info({ slots_led: 1 }));
  assert.equal(wipeRefusal(settled), null);
});

Deno.test("wipe rule: refused while a re-added node is still a learner somewhere", () => {
  const learner = views(
    info({ slots_led: 2, slots_led_unsettled: 1 }),
    info({ slots_led: 1 }),
    info({ slots_led: 1 }),
  );
  assert.match(wipeRefusal(learner)!, /1 slot groups without all their replicas as voters/);
});

Deno.test("wipe rule: refused while a slot group has no leader", () => {
  const leaderless = views(info({ slots_led: 2 }), info({ slots_led: 1 }), info());
  assert.match(wipeRefusal(leaderless)!, /3 slot leaders for 4 slots/);
});

Deno.test("wipe rule: refused while a node does not host all its placed slots yet", () => {
  const opening = views(
    info({ slots_led: 2 }),
    info({ slots_led: 2 }),
    info({ slots_hosted: 1 }),
  );
  assert.match(wipeRefusal(opening)!, /n3 hosts 1 of its 4 placed slots/);
});

Deno.test("wipe rule: refused while the placement leaves a node out or a node is silent", () => {
  const removed = views(
    info({ slots_led: 2, placement_members: "n1,n2" }),
    info({ slots_led: 2 }),
    info(),
  );
  assert.match(wipeRefusal(removed)!, /n1's placement is n1,n2/);
  const silent = views(info({ slots_led: 2 }), info({ slots_led: 2 }), null);
  assert.match(wipeRefusal(silent)!, /n3 does not answer/);
});

Deno.test("wipe rule: refused when a node's INFO lacks the fields (an older node)", () => {
  const old = info({ slots_led: 4 }).replace(/slots_led_unsettled:0\r\n/, "");
  assert.match(wipeRefusal(views(old, info(), info()))!, /n1's INFO slots lacks a field/);
});
