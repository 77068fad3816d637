/**
 * The steps of the cache protocol's world (see mesi_world.ts) and its invariants, as a Model
 * for `explore`: client operations, delivery of any message in flight, loss, store accesses,
 * a tick of time, a client's timeout and a change of home.
 * @module
 */
import { CacheHome } from "../../../src/cache/cache_home.ts";
import type { Model } from "./explore.ts";
import {
  completeLocalWrite,
  completeRead,
  completeWrite,
  copyWorld,
  type Envelope,
  envelopeText,
  finishOp,
  flushHome,
  flushNode,
  initialWorld,
  keyBytes,
  nodeId,
  startOp,
  type World,
  type WorldConfig,
  worldFingerprint,
} from "./mesi_world.ts";

type Step = { label: string; state: World };

/** The model checked by tests/cache/mesi_check_test.ts. */
export function mesiModel(config: WorldConfig): Model<World> {
  return {
    initial: () => initialWorld(config),
    fingerprint: worldFingerprint,
    successors: (w) => successors(config, w),
    violation: (w) => w.violation ?? singleWriterViolation(config, w),
  };
}

function* successors(config: WorldConfig, w: World): Generator<Step> {
  if (w.violation !== null) return;
  for (let i = 0; i < w.nodes.length; i++) {
    const step = clientStep(config, w, i);
    if (step !== null) yield step;
    yield* renewalSteps(config, w, i);
  }
  const seen = new Set<string>();
  for (let j = 0; j < w.bag.length; j++) {
    const text = envelopeText(w.bag[j]!);
    if (seen.has(text)) continue; // identical messages: delivering either is the same step
    seen.add(text);
    yield deliver(config, w, j, text);
    if (w.drops < config.dropsMax && w.bag[j]!.kind !== "store") {
      const next = copyWorld(w);
      next.bag.splice(j, 1);
      next.drops++;
      yield { label: `lose ${text}`, state: next };
    }
  }
  if (w.now < config.ticksMax) yield tick(w);
  if (config.recall === true) yield recall(w);
  if (w.homes.length <= config.homeChangesMax && (config.recall !== true || recalled(w))) {
    yield changeHome(config, w);
  }
}

/** The current home's node is stopping: the home takes its lines back (or goes on doing so). */
function recall(w: World): Step {
  const next = copyWorld(w);
  const h = next.homes.length - 1;
  const slot = next.homes[h] = { ...w.homes[h]! };
  slot.home = slot.home.clone();
  const busy = slot.home.recall(w.now);
  flushHome(next, h);
  return { label: `the home recalls its lines (${busy} keys busy)`, state: next };
}

/** The current home finished a recall: no key has holders or jobs (its node may now stop). */
function recalled(w: World): boolean {
  const home = w.homes[w.homes.length - 1]!.home.clone();
  return home.recalling && home.recall(w.now) === 0;
}

function clientStep(config: WorldConfig, w: World, i: number): Step | null {
  const active = w.active[i];
  if (active !== null && active !== undefined) {
    if (w.now < active.invokedAt + config.requestTimeoutTicks) return null;
    const next = copyWorld(w);
    const node = next.nodes[i] = w.nodes[i]!.clone();
    node.abandon(active.requestId);
    finishOp(next, i);
    return { label: `n${i} gives up on request ${active.requestId} (timeout)`, state: next };
  }
  const op = config.scripts[i]![w.next[i]!];
  if (op === undefined) return null;
  const next = copyWorld(w);
  const node = next.nodes[i] = w.nodes[i]!.clone();
  const key = keyBytes(op.key);
  const label = op.kind === "read"
    ? `n${i} reads k${op.key}`
    : `n${i} writes k${op.key}=w${op.writeId}`;
  const decision = op.kind === "read" ? node.read(key, 0, w.now) : node.write(
    key,
    0,
    { value: new Uint8Array([op.writeId]), ttlMs: null, condition: "always" },
    w.now,
  );
  if (decision.kind === "wait" || decision.kind === "full") return null;
  if (decision.kind === "hit") {
    startOp(next, i, op, 0);
    completeRead(next, i, decision.value === null ? 0 : decision.value[0]!, config);
    return { label: `${label}: hit w${decision.value?.[0] ?? 0}`, state: next };
  }
  if (decision.kind === "done") {
    startOp(next, i, op, 0);
    completeLocalWrite(next, i);
    return { label: `${label}: acknowledged locally`, state: next };
  }
  startOp(next, i, op, decision.requestId);
  flushNode(next, i);
  return { label: `${label}: request ${decision.requestId}`, state: next };
}

/**
 * A node runs a renewal walk (`renewLines`: one RenewRequest for its recently used lines well into
 * their lease) at any point; its tick drops a renewal unanswered for a lease.
 */
function* renewalSteps(config: WorldConfig, w: World, i: number): Generator<Step> {
  if (w.renewals >= (config.renewalsMax ?? 0)) return;
  const node = w.nodes[i]!.clone();
  if (node.renewLines(w.now) === 0) return;
  const next = copyWorld(w);
  next.nodes[i] = node;
  next.renewals++;
  flushNode(next, i);
  yield { label: `n${i} renews its lines`, state: next };
}

function deliver(config: WorldConfig, w: World, j: number, text: string): Step {
  const next = copyWorld(w);
  const [envelope] = next.bag.splice(j, 1) as [Envelope];
  switch (envelope.kind) {
    case "toHome": {
      const slot = next.homes[envelope.home] = { ...w.homes[envelope.home]! };
      slot.home = slot.home.clone();
      slot.home.receive(nodeId(envelope.from), envelope.message, w.now);
      flushHome(next, envelope.home);
      break;
    }
    case "toNode": {
      const node = next.nodes[envelope.to] = w.nodes[envelope.to]!.clone();
      for (const done of node.receive(envelope.message, w.now)) {
        const active = next.active[envelope.to];
        if (active === null || active === undefined || active.requestId !== done.requestId) {
          next.violation ??= `completion ${done.requestId} for no active request`;
          continue;
        }
        if (done.kind === "read") {
          completeRead(next, envelope.to, done.value?.[0] ?? 0, config);
        } else if (done.kind === "write") completeWrite(next, envelope.to);
        else finishOp(next, envelope.to);
      }
      flushNode(next, envelope.to);
      break;
    }
    case "store":
      storeAccess(next, w, envelope);
      break;
  }
  return { label: `deliver ${text}`, state: next };
}

function storeAccess(next: World, w: World, e: Envelope & { kind: "store" }): void {
  const slot = next.homes[e.home] = { ...w.homes[e.home]! };
  slot.home = slot.home.clone();
  if (e.home + 1 !== w.storeEpoch) {
    slot.home.storeDone(e.request.token, { ok: false, reason: "notLeader" }, w.now);
  } else if (e.request.kind === "barrier") {
    // The home's leadership confirmed: it leads the store's current epoch.
    const ok = { ok: true as const, value: null, ttlRemainingMs: null, applied: true };
    slot.home.storeDone(e.request.token, ok, w.now);
  } else {
    const key = e.request.key[1]!;
    if (e.request.kind === "commit") {
      const writeId = e.request.write.value?.[0] ?? 0;
      next.storeValues[key] = writeId;
      // A write acknowledged locally (write-back) took effect then: its commit keeps that place.
      if (!w.localWrites.has(writeId)) {
        next.positions = new Map(w.positions).set(writeId, ++next.commits);
      }
    }
    const id = next.storeValues[key]!;
    const value = id === 0 ? null : new Uint8Array([id]);
    slot.home.storeDone(
      e.request.token,
      { ok: true, value, ttlRemainingMs: null, applied: true },
      w.now,
    );
  }
  flushHome(next, e.home);
}

function tick(w: World): Step {
  const next = copyWorld(w);
  next.now++;
  for (let i = 0; i < next.nodes.length; i++) {
    const node = next.nodes[i] = w.nodes[i]!.clone();
    node.tick(next.now);
    flushNode(next, i);
  }
  for (let h = 0; h < next.homes.length; h++) {
    const slot = next.homes[h] = { ...w.homes[h]! };
    slot.home = slot.home.clone();
    slot.home.tick(next.now);
    flushHome(next, h);
  }
  return { label: `tick to ${next.now}`, state: next };
}

/**
 * A new home on the next node, fenced over every node (its Fences go into the bag, to be
 * delivered, delayed, reordered or lost like any message; so do the FenceAcks).
 */
function changeHome(config: WorldConfig, w: World): Step {
  const next = copyWorld(w);
  const epoch = w.homes.length + 1;
  const at = (w.homes[w.homes.length - 1]!.at + 1) % w.nodes.length;
  const home = new CacheHome(0, epoch, w.now, config.timing);
  if (config.fence !== false) home.fence(w.nodes.map((_, i) => nodeId(i)), w.now);
  next.homes.push({ at, home });
  next.storeEpoch = epoch;
  flushHome(next, next.homes.length - 1);
  return { label: `home moves to n${at} (epoch ${epoch})`, state: next };
}

/** At most one M/E per key among live lines, and never an M/E beside an S. */
function singleWriterViolation(config: WorldConfig, w: World): string | null {
  for (let key = 0; key < config.keyCount; key++) {
    const states: string[] = [];
    for (let i = 0; i < w.nodes.length; i++) {
      for (const line of w.nodes[i]!.liveLines(w.now)) {
        if (line.key[1] === key) states.push(`n${i}:${line.state}`);
      }
    }
    const owners = states.filter((s) => !s.endsWith("S"));
    if (owners.length > 1 || (owners.length === 1 && states.length > 1)) {
      return `single writer broken on k${key} at tick ${w.now}: ${states.join(" ")}`;
    }
  }
  return null;
}
