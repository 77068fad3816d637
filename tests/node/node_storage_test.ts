import assert from "node:assert/strict";
import { Logger } from "../../src/log/logger.ts";
import { openNodeLog } from "../../src/node/node_storage.ts";

const SILENT = new Logger({ level: "error", format: "text", sink: () => {} });

Deno.test("node storage: every group of the node shares one node log under raft/", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "dsync_node_storage_" });
  try {
    const config = { dataDir, clusterId: "c1", id: "n1" };
    const log = await openNodeLog(config, SILENT);
    await log.group(0).append({ hardState: { term: 1, votedFor: "n1", commitIndex: 0 } });
    await log.group(1).append({ entries: [{ index: 1, term: 1, data: new Uint8Array([1]) }] });
    await log.close();
    const reopened = await openNodeLog(config, SILENT);
    assert.deepEqual(reopened.groupIds(), [0, 1]);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dataDir))).map((e) => e.name), ["raft"]);
    await reopened.close();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("node storage: a data dir of the per-group layout is refused, not migrated", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "dsync_node_storage_" });
  try {
    // The older layout kept the meta group's log under meta/ (its own wal/ and snap/).
    await Deno.mkdir(`${dataDir}/meta/wal`, { recursive: true });
    await Deno.mkdir(`${dataDir}/meta/snap`);
    await assert.rejects(
      openNodeLog({ dataDir, clusterId: "c1", id: "n1" }, SILENT),
      /per-group layout of an older dsync .*does not migrate.*CLUSTER REMOVE n1/s,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
