import assert from "node:assert/strict";
import { Logger } from "../../src/log/logger.ts";
import type { ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { openSoloRaftHost } from "../helpers/solo_raft_host.ts";
import { eventually } from "../helpers/node_harness.ts";

/** A machine whose state is the list of applied payloads, one byte each. */
class ByteList implements ReplicatedStateMachine<null> {
  bytes: number[] = [];
  apply(_index: number, data: Uint8Array): null {
    this.bytes.push(data[0]!);
    return null;
  }
  skip(): void {}
  snapshot(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
  restore(image: Uint8Array): void {
    this.bytes = [...image];
  }
}

const SEED = { index: 1, image: new Uint8Array([7, 8, 9]) };

async function open(dir: string, machine: ByteList, logger: Logger) {
  return await openSoloRaftHost(dir, machine, logger, { seed: SEED });
}

Deno.test("a seed becomes an empty group's snapshot at its index, and only once", async () => {
  const dir = await Deno.makeTempDir();
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  try {
    const first = new ByteList();
    let { wal, host } = await open(dir, first, logger);
    assert.deepEqual(first.bytes, [7, 8, 9], "the machine starts from the seed");
    assert.equal(host.status().snapshotIndex, SEED.index);
    host.tick();
    await eventually("n1 leads", () => host.leading, 2_000, 5);
    await host.propose(new Uint8Array([1]));
    assert.deepEqual(first.bytes, [7, 8, 9, 1]);
    assert.ok(host.status().appliedIndex > SEED.index, "the new log starts after the seed");
    host.close();
    await wal.close();

    // Restarted with the same seed: the group has history, so the seed is ignored.
    const second = new ByteList();
    ({ wal, host } = await open(dir, second, logger));
    host.tick();
    await eventually("n1 leads and reapplies", () => second.bytes.length === 4, 2_000, 5);
    assert.deepEqual(second.bytes, [7, 8, 9, 1]);
    host.close();
    await wal.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
