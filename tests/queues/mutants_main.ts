/**
 * Seeds known bugs into src/queues one at a time, runs the queue tests on each (without type
 * checking, so that only behaviour counts), and restores the file. Every mutant must be caught.
 *
 * deno run --allow-read --allow-write --allow-run=deno tests/queues/mutants_main.ts
 */

/** One seeded bug: `from` (found exactly once in `path`) replaced by `to`. */
interface Mutant {
  name: string;
  path: string;
  from: string;
  to: string;
}

const MUTANTS: readonly Mutant[] = [
  {
    name: "per-key rule dropped",
    path: "src/queues/state.ts",
    from: "  if (message.key === null) return true;\n",
    to: "  return true;\n",
  },
  {
    name: "delivery count forgotten on a lapse or nack",
    path: "src/queues/apply_ops.ts",
    from: "  if (delayMs > 0) setState(",
    to: "  message.deliveries = 0;\n  if (delayMs > 0) setState(",
  },
  {
    name: "no starvation guard: high always first",
    path: "src/queues/apply_ops.ts",
    from: "partition.highStreak >= QUEUE_HIGH_PER_NORMAL ? normal : high",
    to: "high",
  },
  {
    name: "TTL not checked when delivering",
    path: "src/queues/apply_ops.ts",
    from: "    if (message.expiresAtMs !== null && message.expiresAtMs <= nowMs) {\n      drop(",
    to: "    if (false) {\n      drop(",
  },
  {
    name: "dedup window never ends",
    path: "src/queues/apply_ops.ts",
    from: "seen.deadlineMs > nowMs",
    to: "true",
  },
  {
    name: "a refused push creates its partition",
    path: "src/queues/apply_ops.ts",
    from: "  const refusal = pushRefusal(slot, partition, op, key?.length ?? 0, nowMs);",
    to:
      "  partition ??= newPartition(slot, name, op.partition);\n  const refusal = pushRefusal(slot, partition, op, key?.length ?? 0, nowMs);",
  },
  {
    name: "snapshot forgets the high streak",
    path: "src/queues/snapshot_codec.ts",
    from: ".u32(partition.highStreak);",
    to: ".u32(0);",
  },
  {
    name: "ticks order ties by heap history, not sequence",
    path: "src/queues/event_heap.ts",
    from: "  if (a.sequence !== b.sequence) return a.sequence < b.sequence;\n",
    to: "",
  },
  {
    name: "dead letters not counted",
    path: "src/queues/apply_ops.ts",
    from: "  partition.stats.dead += 1;\n",
    to: "",
  },
  {
    name: "MAXDELIVER off by one",
    path: "src/queues/apply_ops.ts",
    from: "message.deliveries >= partition.maxDeliver",
    to: "message.deliveries > partition.maxDeliver",
  },
  {
    name: "NACK ignores DELAY",
    path: "src/queues/apply_ops.ts",
    from: "  if (delayMs > 0) setState(",
    to: "  if (false) setState(",
  },
  {
    name: "TOUCH extends from the old deadline, not from now",
    path: "src/queues/apply_ops.ts",
    from: 'setState(slot, partition, message, "inflight", nowMs + op.visibilityMs);',
    to: 'setState(slot, partition, message, "inflight", message.dueAtMs + op.visibilityMs);',
  },
  {
    name: "log time may go back",
    path: "src/queues/queue_slot.ts",
    from: "const nowMs = Math.max(state.timeMs, op.nowMs);",
    to: "const nowMs = op.nowMs;",
  },
];

const TESTS = [
  "tests/queues/slot_property_test.ts",
  "tests/queues/priority_test.ts",
  "tests/queues/codec_test.ts",
  "tests/queues/timer_test.ts",
  "tests/queues/dedup_test.ts",
];

/** The names of the failed tests in a `deno test` output. */
function failedTests(output: string): string[] {
  const section = output.split("FAILURES")[1] ?? "";
  return section.split("\n").filter((line) => line.includes(" => ")).map((line) =>
    line.split(" => ")[0]!.trim()
  );
}

async function main(): Promise<void> {
  let missed = 0;
  for (const mutant of MUTANTS) {
    const original = await Deno.readTextFile(mutant.path);
    if (original.split(mutant.from).length !== 2) {
      console.log(`BROKEN  ${mutant.name}: the pattern is not found exactly once`);
      missed += 1;
      continue;
    }
    await Deno.writeTextFile(mutant.path, original.replace(mutant.from, mutant.to));
    let output: Deno.CommandOutput;
    try {
      output = await new Deno.Command("deno", {
        args: ["test", "--no-check", "--quiet", ...TESTS],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    } finally {
      await Deno.writeTextFile(mutant.path, original);
    }
    if (output.success) {
      console.log(`MISSED  ${mutant.name}`);
      missed += 1;
      continue;
    }
    const failed = failedTests(new TextDecoder().decode(output.stdout));
    console.log(`caught  ${mutant.name}: ${failed.join("; ") || "tests failed"}`);
  }
  Deno.exit(missed === 0 ? 0 : 1);
}

if (import.meta.main) await main();
