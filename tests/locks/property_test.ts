import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AcquireOp,
  type LockApplyResult,
  type LockInfo,
  type LockOp,
  LockTable,
  type WaiterInfo,
} from "../../src/locks/mod.ts";
import { findAnyCycle, type TableView, viewOf, waitEdges, withParkedWaiter } from "./wait_graph.ts";

const NAMES = ["x", "y", "z"] as const;
const OWNERS = ["a", "b", "c", "d"] as const;
const KINDS = [
  ...["acquire", "acquire", "acquire", "acquire", "release", "release"],
  ...["refresh", "expire", "cancelWait"],
];

/** An abstract step; tokens and waiter ids are resolved against the run's history. */
interface Command {
  kind: string;
  name: string;
  owner: string;
  exclusive: boolean;
  wait: boolean;
  ttlMs: number;
  pick: number;
}

const commandArb: fc.Arbitrary<Command> = fc.record({
  kind: fc.constantFrom(...KINDS),
  name: fc.constantFrom(...NAMES),
  owner: fc.constantFrom(...OWNERS),
  exclusive: fc.boolean(),
  wait: fc.oneof(fc.constant(true), fc.boolean()),
  ttlMs: fc.constantFrom(1_000, 5_000),
  pick: fc.nat(60),
});

/** Applies commands to a table, checking every property after every step. */
class CheckedRun {
  readonly table = new LockTable();
  readonly ops: LockOp[] = [];
  readonly results: LockApplyResult[] = [];
  #index = 0;
  #nextWaiterId = 1;
  readonly #issued: number[] = [];
  readonly #waiterIds: number[] = [];
  /** `name/owner/waiterId` of cancelled and replaced waits: never granted. */
  readonly #dead = new Set<string>();
  /** How often each kind of situation occurred (for the coverage test). */
  readonly counts = new Map<string, number>();

  step(command: Command): void {
    const op = this.#toOp(command);
    const before = viewOf(this.table, NAMES);
    const lastTokenBefore = this.table.stats().lastToken;
    const result = this.table.apply(++this.#index, op);
    const after = viewOf(this.table, NAMES);
    this.ops.push(op);
    this.results.push(result);
    checkStructure(after);
    assert.equal(findAnyCycle(waitEdges(after)), null, "wait-for graph has a cycle");
    this.#checkTokens(op, before, result, lastTokenBefore);
    this.#checkQueues(op, before, result, after);
    const changed = result.outcome === true ||
      (typeof result.outcome === "object" &&
        (result.outcome.kind === "granted" || result.outcome.kind === "queued"));
    if (!changed) assert.deepEqual(after, before, `refused ${op.op} changed the table`);
    checkOutcome(op, before, result, after);
    this.#count(op, before, result);
  }

  #count(op: LockOp, before: TableView, result: LockApplyResult): void {
    const info = before.get(op.name)!;
    const held = info.holders.find((holder) => holder.owner === op.owner);
    const outcome = result.outcome;
    let label = `${op.op}:${typeof outcome === "object" ? outcome.kind : outcome}`;
    if (op.op === "acquire" && held !== undefined) label += `:held-${info.mode}-${op.mode}`;
    if (op.op !== "acquire" && "token" in op && op.token !== null && op.token !== held?.token) {
      label += ":stale";
    } else if (op.op === "expire" && held !== undefined && op.leaseIndex !== held.leaseIndex) {
      label += ":renewed";
    }
    if (typeof outcome === "object" && outcome.kind === "queued" && outcome.replacedWaiterId) {
      label += ":replaced";
    }
    const labels = [label, ...result.grants.map((grant) => `grant:${grant.mode}`)];
    for (const grant of result.grants) {
      if (info.holders.some((holder) => holder.owner === grant.owner)) labels.push("grant:upgrade");
    }
    for (const key of labels) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  #toOp(command: Command): LockOp {
    const { name, owner, ttlMs, pick } = command;
    const info = this.table.info(name);
    const held = info.holders.find((holder) => holder.owner === owner);
    const token = pick % 3 === 0 || this.#issued.length === 0
      ? held?.token ?? 1_000_000
      : this.#issued[pick % this.#issued.length]!;
    switch (command.kind) {
      case "acquire": {
        const mode = command.exclusive ? "exclusive" : "shared";
        const waiterId = this.#nextWaiterId++;
        this.#waiterIds.push(waiterId);
        return { op: "acquire", name, owner, mode, ttlMs, wait: command.wait, waiterId };
      }
      case "release":
        return { op: "release", name, owner, token: pick % 4 === 1 ? null : token };
      case "refresh":
        return { op: "refresh", name, owner, ttlMs, token: pick % 4 === 1 ? null : token };
      case "expire": {
        // The current lease index most of the time; otherwise one from before a renewal.
        const current = held?.leaseIndex ?? 0;
        const leaseIndex = pick % 5 === 4 ? Math.max(0, current - 1 - (pick % 3)) : current;
        return { op: "expire", name, owner, token, leaseIndex };
      }
      default: {
        const waiting = info.waiters.find((waiter) => waiter.owner === owner);
        const stale = this.#waiterIds[pick % Math.max(1, this.#waiterIds.length)] ?? 0;
        const waiterId = pick % 2 === 0 && waiting !== undefined ? waiting.waiterId : stale;
        return { op: "cancelWait", name, owner, waiterId };
      }
    }
  }

  /** New tokens are consecutive after lastToken; old ones only for re-acquire and downgrade. */
  #checkTokens(op: LockOp, before: TableView, result: LockApplyResult, lastBefore: number) {
    const fresh = result.grants.map((grant) => grant.token);
    if (op.op === "acquire" && typeof result.outcome === "object") {
      const outcome = result.outcome;
      if (outcome.kind === "granted") {
        const info = before.get(op.name)!;
        const held = info.holders.find((holder) => holder.owner === op.owner);
        if (held !== undefined && (info.mode === op.mode || op.mode === "shared")) {
          assert.equal(outcome.token, held.token, "re-acquire/downgrade keeps the token");
        } else {
          fresh.unshift(outcome.token);
        }
      }
    }
    let expected = lastBefore;
    for (const token of fresh) assert.equal(token, ++expected, "tokens strictly increase");
    assert.equal(this.table.stats().lastToken, expected);
    this.#issued.push(...fresh);
  }

  /** Grants are a prefix of the queue (FIFO); the rest of the queue is as expected. */
  #checkQueues(op: LockOp, before: TableView, result: LockApplyResult, after: TableView) {
    for (const grant of result.grants) {
      const key = `${grant.name}/${grant.owner}/${grant.waiterId}`;
      assert.ok(!this.#dead.has(key), `cancelled or replaced wait ${key} was granted`);
    }
    for (const name of NAMES) {
      let queue: WaiterInfo[] = structuredClone(before.get(name)!.waiters);
      if (op.op === "cancelWait" && op.name === name && result.outcome === true) {
        queue = queue.filter((waiter) => waiter.owner !== op.owner);
        this.#dead.add(`${name}/${op.owner}/${op.waiterId}`);
      }
      const granted = result.grants.filter((grant) => grant.name === name)
        .map(({ owner, mode, waiterId, ttlMs }) => ({ owner, mode, waiterId, ttlMs }));
      assert.deepEqual(granted, queue.slice(0, granted.length), "grants follow queue order");
      queue = queue.slice(granted.length);
      const outcome = result.outcome;
      if (op.op === "acquire" && op.name === name && typeof outcome === "object") {
        if (outcome.kind === "queued") queue = this.#queued(op, before, queue, outcome);
      }
      assert.deepEqual(after.get(name)!.waiters, queue, "queue after the op");
    }
  }

  #queued(
    op: AcquireOp,
    before: TableView,
    queue: WaiterInfo[],
    outcome: { replacedWaiterId: number | null },
  ): WaiterInfo[] {
    const { owner, mode, waiterId, ttlMs } = op;
    const existing = queue.find((waiter) => waiter.owner === owner);
    if (existing !== undefined) {
      assert.equal(outcome.replacedWaiterId, existing.waiterId);
      this.#dead.add(`${op.name}/${owner}/${existing.waiterId}`);
      existing.waiterId = waiterId;
      existing.ttlMs = ttlMs;
      return queue;
    }
    assert.equal(outcome.replacedWaiterId, null);
    const view = new Map(before);
    view.set(op.name, { ...before.get(op.name)!, waiters: queue });
    return withParkedWaiter(view, op.name, { owner, mode, waiterId, ttlMs }).get(op.name)!.waiters;
  }
}

/** Modes agree with holders; an exclusive holder is alone; no waiters without holders. */
function checkStructure(view: TableView): void {
  for (const [name, info] of view) {
    const owners = info.holders.map((holder) => holder.owner);
    assert.equal(new Set(owners).size, owners.length, `${name}: an owner holds twice`);
    assert.equal(info.mode === "none", info.holders.length === 0, `${name}: mode vs holders`);
    if (info.mode === "exclusive") assert.equal(info.holders.length, 1, `${name}: exclusive`);
    if (info.holders.length === 0) assert.equal(info.waiters.length, 0, `${name}: ghost waiters`);
    for (const waiter of info.waiters) {
      if (owners.includes(waiter.owner)) {
        assert.ok(waiter.mode === "exclusive" && info.mode === "shared", `${name}: bad upgrade`);
      }
    }
  }
}

/** What each op must answer, given the table before. */
function checkOutcome(op: LockOp, before: TableView, result: LockApplyResult, after: TableView) {
  const info: LockInfo = before.get(op.name)!;
  const held = info.holders.find((holder) => holder.owner === op.owner);
  const heldAfter = after.get(op.name)!.holders.find((holder) => holder.owner === op.owner);
  const matches = (token: number | null) => token === null || held?.token === token;
  switch (op.op) {
    case "acquire":
      return checkAcquire(op, before, result, info);
    case "release":
      assert.equal(result.outcome, held !== undefined && matches(op.token), "release outcome");
      if (result.outcome === true) assert.notEqual(heldAfter?.token, held?.token);
      return;
    case "expire": {
      // A renewal after the leader's decision (another lease index) voids the expiry.
      const current = held !== undefined && matches(op.token) && held.leaseIndex === op.leaseIndex;
      assert.equal(result.outcome, current, "expire outcome");
      if (result.outcome === true) assert.notEqual(heldAfter?.token, held?.token);
      return;
    }
    case "refresh":
      assert.equal(result.outcome, held !== undefined && matches(op.token), "refresh outcome");
      if (result.outcome === true) {
        assert.equal(heldAfter?.ttlMs, op.ttlMs);
        assert.ok(heldAfter!.leaseIndex > held!.leaseIndex, "refresh renews the lease index");
      }
      return;
    case "cancelWait": {
      const waiting = info.waiters.find((waiter) => waiter.owner === op.owner);
      assert.equal(result.outcome, waiting?.waiterId === op.waiterId, "cancelWait outcome");
    }
  }
}

function checkAcquire(op: AcquireOp, before: TableView, result: LockApplyResult, info: LockInfo) {
  const outcome = result.outcome;
  assert.ok(typeof outcome === "object");
  const held = info.holders.find((holder) => holder.owner === op.owner);
  if (held !== undefined && info.mode === op.mode) {
    assert.deepEqual(outcome, { kind: "granted", token: held.token }, "idempotent re-acquire");
  }
  if (outcome.kind === "granted" && held === undefined) {
    assert.equal(info.waiters.length, 0, "a new grant never passes a waiter");
    assert.ok(info.mode === "none" || (info.mode === "shared" && op.mode === "shared"));
  }
  if (outcome.kind === "busy") assert.equal(op.wait, false);
  if (outcome.kind === "queued") assert.equal(op.wait, true);
  if (outcome.kind === "deadlock") {
    const { owner, mode, waiterId, ttlMs } = op;
    const edges = waitEdges(withParkedWaiter(before, op.name, { owner, mode, waiterId, ttlMs }));
    const cycle = outcome.cycle;
    assert.equal(cycle[0], op.owner);
    assert.equal(cycle.at(-1), op.owner);
    for (let step = 0; step + 1 < cycle.length; step++) {
      assert.ok(edges.get(cycle[step]!)?.has(cycle[step + 1]!), `no edge in ${cycle.join("->")}`);
    }
  }
  const waiting = info.waiters.find((waiter) => waiter.owner === op.owner);
  const otherMode = held === undefined && waiting !== undefined && waiting.mode !== op.mode;
  assert.equal(outcome.kind === "limit", otherMode, "limit only for a second wait in another mode");
  assert.notEqual(outcome.kind, "invalid");
}

Deno.test("lock table properties hold on random op sequences", () => {
  fc.assert(
    fc.property(fc.array(commandArb, { maxLength: 80, size: "max" }), (commands) => {
      const run = new CheckedRun();
      for (const command of commands) run.step(command);
    }),
    { numRuns: 400 },
  );
});

Deno.test("snapshot -> restore is identical and behaves identically", () => {
  fc.assert(
    fc.property(
      fc.array(commandArb, { maxLength: 60 }),
      fc.array(commandArb, { maxLength: 40 }),
      (prefix, suffix) => {
        const run = new CheckedRun();
        for (const command of prefix) run.step(command);
        const image = run.table.snapshot();
        const restored = LockTable.restore(image);
        assert.deepEqual(restored.snapshot(), image);
        assert.deepEqual(restored.stats(), run.table.stats());
        assert.deepEqual([...restored.holders()], [...run.table.holders()]);
        assert.deepEqual([...restored.waiters()], [...run.table.waiters()]);
        for (const command of suffix) run.step(command);
        const replayed = run.ops.slice(prefix.length).map((op, offset) =>
          restored.apply(prefix.length + offset + 1, op)
        );
        assert.deepEqual(replayed, run.results.slice(prefix.length));
        assert.deepEqual(restored.snapshot(), run.table.snapshot());
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("random runs cover every outcome, upgrades, downgrades, stale tokens, promotions", () => {
  const counts = new Map<string, number>();
  fc.assert(
    fc.property(fc.array(commandArb, { minLength: 60, maxLength: 80 }), (commands) => {
      const run = new CheckedRun();
      for (const command of commands) run.step(command);
      for (const [key, count] of run.counts) counts.set(key, (counts.get(key) ?? 0) + count);
    }),
    { numRuns: 150, seed: 42 },
  );
  const expected = [
    "acquire:granted",
    "acquire:granted:held-shared-shared",
    "acquire:granted:held-exclusive-exclusive",
    "acquire:granted:held-shared-exclusive",
    "acquire:granted:held-exclusive-shared",
    "acquire:queued",
    "acquire:queued:held-shared-exclusive",
    "acquire:queued:replaced",
    "acquire:busy",
    "acquire:busy:held-shared-exclusive",
    "acquire:deadlock",
    "acquire:deadlock:held-shared-exclusive",
    "acquire:limit",
    "release:true",
    "release:false",
    "release:false:stale",
    "refresh:true",
    "refresh:false:stale",
    "expire:true",
    "expire:false:stale",
    "expire:false:renewed",
    "cancelWait:true",
    "cancelWait:false",
    "grant:shared",
    "grant:exclusive",
    "grant:upgrade",
  ];
  for (const key of expected) {
    assert.ok((counts.get(key) ?? 0) >= 3, `${key} seen ${counts.get(key) ?? 0} times`);
  }
});
