import assert from "node:assert/strict";
import { Logger } from "../../src/log/logger.ts";
import {
  type ReplicatedStateMachine,
  SNAPSHOT_ITEMS_PER_STEP,
} from "../../src/consensus/raft_host.ts";
import { openSoloRaftHost } from "../helpers/solo_raft_host.ts";
import type { HostClock, HostTimer } from "../../src/consensus/host_clock.ts";
import { eventually } from "../helpers/node_harness.ts";

const STEP_COUNT = 8;
/** Clock time each encoding step takes: more than the host's 10 ms slice. */
const STEP_COST_MS = 11;

/**
 * A clock whose time moves on by `STEP_COST_MS` whenever the machine says a step was done, so
 * the slice the host measures is spent after every step whatever the real speed of the machine.
 */
class SteppingClock implements HostClock {
  offsetMs = 0;
  nowMs(): number {
    return performance.now() + this.offsetMs;
  }
  setTimer(callback: () => void, delayMs: number): HostTimer {
    return setTimeout(callback, delayMs);
  }
  clearTimer(timer: HostTimer): void {
    clearTimeout(timer);
  }
}

/** Counts event-loop turns (timer tasks) while running. */
class TurnCounter {
  turns = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  start(): void {
    this.#timer = setTimeout(() => {
      this.turns++;
      this.start();
    }, 0);
  }
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
  }
}

class SteppedMachine implements ReplicatedStateMachine {
  applied = 0;
  /** Per step: the turn counter and the applied index when the step ran. */
  readonly steps: Array<{ turn: number; applied: number }> = [];
  /** Called at the second step (the test proposes there). */
  onSecondStep: () => void = () => {};

  constructor(readonly clock: SteppingClock, readonly turns: TurnCounter) {}

  apply(index: number): null {
    this.applied = index;
    return null;
  }
  skip(index: number): void {
    this.applied = index;
  }
  snapshot(): Uint8Array {
    return Uint8Array.of(this.applied);
  }
  restore(): void {}
  *snapshotSteps(itemsPerStep: number): Generator<number, Uint8Array, void> {
    const applied = this.applied;
    for (let i = 0; i < STEP_COUNT; i++) {
      this.steps.push({ turn: this.turns.turns, applied: this.applied });
      if (i === 1) this.onSecondStep();
      this.clock.offsetMs += STEP_COST_MS;
      yield itemsPerStep;
    }
    return Uint8Array.of(applied);
  }
}

Deno.test("a large snapshot is encoded in slices, the event loop runs between them, nothing is applied meanwhile", async () => {
  const dir = await Deno.makeTempDir();
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const clock = new SteppingClock();
  const turns = new TurnCounter();
  const machine = new SteppedMachine(clock, turns);
  const { wal, host } = await openSoloRaftHost(dir, machine, logger, {
    snapshotEntriesMax: 4,
    clock,
  });
  turns.start();
  try {
    host.tick();
    await eventually("n1 leads", () => host.leading, 5_000, 5);
    let lateProposal: Promise<unknown> | null = null;
    machine.onSecondStep = () => {
      lateProposal = host.propose(Uint8Array.of(9));
    };
    for (let i = 0; i < 4; i++) await host.propose(Uint8Array.of(i));
    await eventually("a compaction", () => host.lastCompaction !== null, 10_000, 5);

    assert.equal(machine.steps.length, STEP_COUNT, "the host encoded through snapshotSteps");
    for (let i = 1; i < STEP_COUNT; i++) {
      assert.ok(
        machine.steps[i]!.turn > machine.steps[i - 1]!.turn,
        `the event loop ran between steps ${i - 1} and ${i}: ${JSON.stringify(machine.steps)}`,
      );
    }
    const appliedAtStart = machine.steps[0]!.applied;
    assert.ok(
      machine.steps.every((step) => step.applied === appliedAtStart),
      `nothing was applied while the snapshot was encoded: ${JSON.stringify(machine.steps)}`,
    );
    assert.deepEqual(host.lastCompaction, {
      index: appliedAtStart,
      // Every step spends a slice; the generator ends in the turn after the last one.
      slices: STEP_COUNT + 1,
      items: STEP_COUNT * SNAPSHOT_ITEMS_PER_STEP,
    });
    // The proposal made mid-encoding is applied once the encoding is done.
    assert.ok(lateProposal !== null);
    await lateProposal;
    assert.ok(machine.applied > appliedAtStart);
  } finally {
    turns.stop();
    host.close();
    await wal.close();
    await Deno.remove(dir, { recursive: true });
  }
});
