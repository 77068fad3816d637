import assert from "node:assert/strict";
import fc from "fast-check";
import { type HistoryEvent, HistoryRecorder, type JsonValue, pairOperations } from "./history.ts";
import { checkFinalReads, checkMutualExclusion, finalReadsFrom } from "./checkers.ts";
import { checkLockHistory } from "./lock_check.ts";
import { deriveHolds } from "./lock_holds.ts";
import { ReferenceLocks } from "./reference_locks.ts";

const PROCESS_COUNT = 3;
const LOCKS = ["L1", "L2"];
/** Reads every lock once all commands have completed (the "after the heal" reads). */
const READER_PROCESS = 99;

/** A command before its token option is resolved against what the owner has seen. */
interface Command {
  readonly kind: "ACQUIRE" | "RELEASE" | "REFRESH" | "INFO";
  readonly lock: string;
  readonly shared: boolean;
  /** `none`, the owner's last token on that lock, or a fixed (likely stale) token. */
  readonly token: "none" | "last" | number;
}

/** What happens to an invoked command: applied and seen, applied but reply lost, or failed. */
type Fate = "ok" | "applied-unknown" | "not-applied-unknown" | "fail";

const commandArb: fc.Arbitrary<Command> = fc.record({
  kind: fc.constantFrom("ACQUIRE", "ACQUIRE", "RELEASE", "REFRESH", "INFO"),
  lock: fc.constantFrom(...LOCKS),
  shared: fc.boolean(),
  token: fc.oneof(
    fc.constant("none" as const),
    fc.constant("last" as const),
    fc.integer({ min: 1, max: 6 }),
  ),
});

const runArb = fc.record({
  commands: fc.array(commandArb, { minLength: 10, maxLength: 50, size: "max" }),
  /** Which process moves at each scheduling step. */
  schedule: fc.array(fc.nat(PROCESS_COUNT - 1), { minLength: 30, maxLength: 200, size: "max" }),
  fates: fc.array(
    fc.constantFrom<Fate>("ok", "ok", "ok", "ok", "applied-unknown", "not-applied-unknown", "fail"),
    {
      minLength: 40,
      maxLength: 40,
    },
  ),
  tokenSteps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
  upgradeGetsNewToken: fc.boolean(),
  downgradeInPlace: fc.boolean(),
});

interface Run {
  readonly commands: readonly Command[];
  readonly schedule: readonly number[];
  readonly fates: readonly Fate[];
  readonly tokenSteps: readonly number[];
  readonly upgradeGetsNewToken: boolean;
  readonly downgradeInPlace: boolean;
}

function argsOf(command: Command, owner: string, lastTokens: Map<string, number>): string[] {
  const token = command.token === "last"
    ? lastTokens.get(`${owner}/${command.lock}`)
    : command.token;
  const tokenArgs = token === "none" || token === undefined ? [] : ["TOKEN", String(token)];
  switch (command.kind) {
    case "ACQUIRE":
      return [command.lock, owner, command.shared ? "SHARED" : "EXCLUSIVE", "TTL", "600000"];
    case "RELEASE":
      return [command.lock, owner, ...tokenArgs];
    case "REFRESH":
      return [command.lock, owner, "600000", ...tokenArgs];
    case "INFO":
      return [command.lock];
  }
}

type Slot = { args: string[]; command: Command; fate: Fate; reply: JsonValue | undefined };

/**
 * Runs the commands on the reference with processes interleaved by `schedule`: each step moves
 * one process from idle to invoked, invoked to applied (the linearization point), or applied to
 * completed. Every command takes effect atomically between its invocation and its completion.
 */
function concurrentRun(run: Run): HistoryEvent[] {
  let clockMs = 0;
  const recorder = new HistoryRecorder(() => clockMs++);
  let stepIndex = 0;
  const reference = new ReferenceLocks({
    tokenStep: () => run.tokenSteps[stepIndex++ % run.tokenSteps.length]!,
    upgradeGetsNewToken: run.upgradeGetsNewToken,
    downgradeInPlace: run.downgradeInPlace,
  });
  const lastTokens = new Map<string, number>();
  const slots: (Slot | null)[] = Array.from({ length: PROCESS_COUNT }, () => null);
  const applied: boolean[] = Array.from({ length: PROCESS_COUNT }, () => false);
  let nextCommand = 0;
  const move = (process: number) => {
    const slot = slots[process];
    const owner = `o${process}`;
    if (slot === null || slot === undefined) {
      const command = run.commands[nextCommand];
      if (command === undefined) return;
      const args = argsOf(command, owner, lastTokens);
      const fate = run.fates[nextCommand % run.fates.length]!;
      nextCommand++;
      slots[process] = { args, command, fate, reply: undefined };
      recorder.invoke(process, `LOCK.${command.kind}`, args);
    } else if (!applied[process] && slot.fate !== "fail" && slot.fate !== "not-applied-unknown") {
      slot.reply = reference.run(slot.command.kind, slot.args);
      applied[process] = true;
    } else {
      if (slot.fate === "ok") {
        recorder.ok(process, slot.reply ?? null);
        if (slot.command.kind === "ACQUIRE" && typeof slot.reply === "number") {
          lastTokens.set(`${owner}/${slot.command.lock}`, slot.reply);
        }
      } else if (slot.fate === "fail") recorder.fail(process, "TRYAGAIN election");
      else recorder.info(process, "TIMEOUT");
      slots[process] = null;
      applied[process] = false;
    }
  };
  for (const process of run.schedule) move(process);
  for (let rounds = 0; rounds < 3 * (run.commands.length + PROCESS_COUNT); rounds++) {
    move(rounds % PROCESS_COUNT);
  }
  for (const lock of LOCKS) {
    recorder.invoke(READER_PROCESS, "LOCK.INFO", [lock]);
    recorder.ok(READER_PROCESS, reference.run("INFO", [lock]));
  }
  return [...recorder.events()];
}

Deno.test("lock model property: real concurrent runs of a lock table are linearizable", () => {
  fc.assert(
    fc.property(runArb, (run) => {
      const ops = pairOperations(concurrentRun(run));
      const { verdict, text } = checkLockHistory(ops);
      assert.equal(verdict.valid, "yes", text);
      // Unknown outcomes here took effect before their info reply: a window that long is sound.
      const windowMs = Math.max(0, ...ops.map((op) => (op.completeMs ?? 0) - op.invokeMs));
      const windowed = checkLockHistory(ops, { unknownEffectWindowMs: windowMs });
      assert.equal(windowed.verdict.valid, "yes", windowed.text);
    }),
    { numRuns: 300 },
  );
});

Deno.test("mutex and visibility property: real concurrent runs pass both checkers", () => {
  fc.assert(
    fc.property(runArb, (run) => {
      const ops = pairOperations(concurrentRun({ ...run, upgradeGetsNewToken: true }));
      const holds = deriveHolds(ops);
      const report = checkMutualExclusion(holds);
      assert.equal(report.valid, true, JSON.stringify(report.violations));
      const endMs = ops[ops.length - LOCKS.length]!.invokeMs;
      const visible = checkFinalReads(holds, finalReadsFrom(ops, endMs), ops);
      assert.equal(visible.valid, true, JSON.stringify(visible.violations));
    }),
    { numRuns: 500 },
  );
});

/** A sequential run: each command invoked, applied and answered before the next one. */
function sequentialRun(commands: readonly Command[], tokenSteps: readonly number[]) {
  let clockMs = 0;
  let stepIndex = 0;
  const recorder = new HistoryRecorder(() => clockMs++);
  const reference = new ReferenceLocks({
    tokenStep: () => tokenSteps[stepIndex++ % tokenSteps.length]!,
    upgradeGetsNewToken: false,
    downgradeInPlace: true,
  });
  const lastTokens = new Map<string, number>();
  const freshGrants: number[] = []; // event indexes of ok replies granting a free lock
  const releases: number[] = []; // event indexes of release replies that said 1
  commands.forEach((command, index) => {
    const process = index % PROCESS_COUNT;
    const owner = `o${process}`;
    const args = argsOf(command, owner, lastTokens);
    const wasFree = reference.isFree(command.lock);
    recorder.invoke(process, `LOCK.${command.kind}`, args);
    const reply = reference.run(command.kind, args);
    const replyIndex = recorder.events().length;
    recorder.ok(process, reply);
    if (command.kind === "ACQUIRE" && typeof reply === "number") {
      lastTokens.set(`${owner}/${command.lock}`, reply);
      if (wasFree) freshGrants.push(replyIndex);
    }
    if (command.kind === "RELEASE" && reply === 1) releases.push(replyIndex);
  });
  return { events: [...recorder.events()], freshGrants, releases };
}

function withResult(events: readonly HistoryEvent[], index: number, result: JsonValue) {
  return events.map((event) => (event.eventIndex === index ? { ...event, result } : event));
}

const sequentialArb = fc.record({
  commands: fc.array(commandArb, { minLength: 10, maxLength: 50, size: "max" }),
  tokenSteps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
  pick: fc.nat(),
});

Deno.test("lock model property: a grant flipped to null on a free lock is caught", () => {
  fc.assert(
    fc.property(sequentialArb, ({ commands, tokenSteps, pick }) => {
      const { events, freshGrants } = sequentialRun(commands, tokenSteps);
      assert.equal(checkLockHistory(pairOperations(events)).verdict.valid, "yes");
      fc.pre(freshGrants.length > 0);
      const target = freshGrants[pick % freshGrants.length]!;
      const { verdict, text } = checkLockHistory(pairOperations(withResult(events, target, null)));
      assert.equal(verdict.valid, "no", text);
    }),
    { numRuns: 150 },
  );
});

Deno.test("lock model property: a successful release flipped to 0 is caught", () => {
  fc.assert(
    fc.property(sequentialArb, ({ commands, tokenSteps, pick }) => {
      const { events, releases } = sequentialRun(commands, tokenSteps);
      fc.pre(releases.length > 0);
      const target = releases[pick % releases.length]!;
      const { verdict, text } = checkLockHistory(pairOperations(withResult(events, target, 0)));
      assert.equal(verdict.valid, "no", text);
    }),
    { numRuns: 150 },
  );
});
