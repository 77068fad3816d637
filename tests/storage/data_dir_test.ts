import assert from "node:assert/strict";
import { DirectoryLockedError, IdentityError } from "../../src/storage/mod.ts";
import {
  makeEntries,
  openLog,
  openSingleGroup,
  rejection,
  testOptions,
  withTempDir,
} from "./helpers.ts";

Deno.test("the first open writes an identity that later opens must match", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    const identity = wal.identity();
    await wal.append({ hardState: { term: 1, votedFor: "n1", commitIndex: 0 } });
    await wal.close();

    const otherNode = await rejection(openLog(dir, { nodeId: "n2" }), IdentityError);
    assert.match(otherNode.message, /belongs to node n1 of cluster test-cluster, not node n2/);
    await assert.rejects(openLog(dir, { clusterId: "other" }), /not node n1 of cluster other/);

    const again = await openLog(dir, { expectExisting: true });
    assert.deepEqual(again.identity(), identity);
    await again.close();
  });
});

Deno.test("expectExisting refuses a wiped (empty or missing) data dir", async () => {
  await withTempDir(async (dir) => {
    const missing = await rejection(
      openLog(`${dir}/gone`, { expectExisting: true }),
      IdentityError,
    );
    assert.match(missing.message, /does not exist.*rejoin as a new member/);
    await assert.rejects(Deno.stat(`${dir}/gone`), Deno.errors.NotFound);
    const empty = await rejection(openLog(dir, { expectExisting: true }), IdentityError);
    assert.match(empty.message, /holds no identity and no log/);
    // Without the flag a new node initialises the same dir.
    const wal = await openLog(dir);
    assert.equal(wal.wasCreated(), true);
    await wal.close();
  });
});

Deno.test("a dir whose log was wiped but whose identity remains is refused", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 3, 1) });
    await wal.close();
    await Deno.remove(`${dir}/wal`, { recursive: true });
    await assert.rejects(openLog(dir), /IDENTITY exists but .* holds no segments/);
  });
});

Deno.test("a dir with log data but no identity is refused", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.append({ entries: makeEntries(1, 3, 1) });
    await wal.close();
    await Deno.remove(`${dir}/IDENTITY`);
    await assert.rejects(openLog(dir), /holds log data but no IDENTITY file/);
  });
});

Deno.test("a damaged identity file is refused", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    await wal.close();
    const bytes = await Deno.readFile(`${dir}/IDENTITY`);
    bytes[14]! ^= 1;
    await Deno.writeFile(`${dir}/IDENTITY`, bytes);
    await assert.rejects(openLog(dir), /identity file .* is damaged \(checksum mismatch\)/);
  });
});

Deno.test("a crashed initialisation (empty segment, no identity) starts fresh", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/wal`);
    await Deno.writeFile(`${dir}/wal/00000000000000000001.seg`, new Uint8Array());
    const wal = await openLog(dir);
    assert.equal(wal.wasCreated(), true);
    await wal.append({ entries: makeEntries(1, 1, 1) });
    await wal.close();
  });
});

Deno.test("the directory lock refuses a second open until the first closes", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    const error = await rejection(openLog(dir), DirectoryLockedError);
    assert.match(error.message, /LOCK is locked by another process/);
    await wal.close();
    const again = await openLog(dir);
    await again.close();
  });
});

Deno.test("the directory lock also holds against another process", async () => {
  await withTempDir(async (dir) => {
    const wal = await openLog(dir);
    const script = `
      import { NodeLog } from "${new URL("../../src/storage/mod.ts", import.meta.url)}";
      try {
        await NodeLog.open(${JSON.stringify(dir)}, { clusterId: "test-cluster", nodeId: "n1" });
        console.log("opened");
      } catch (error) {
        console.log(error.name);
      }`;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(new TextDecoder().decode(output.stdout).trim(), "DirectoryLockedError");
    await wal.close();
  });
});

Deno.test("options are validated with clear errors", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(openLog(dir, { nodeId: "" }), /nodeId must be 1..255 bytes/);
    await assert.rejects(
      openSingleGroup(
        dir,
        testOptions({ segmentBytesMax: 1000, batchBytesMax: 1000, recordBytesMax: 1000 }),
      ),
      /segmentBytesMax is 1000, must be an integer in/,
    );
    await assert.rejects(openLog(dir, { recordBytesMax: 100 }), /recordBytesMax is 100/);
  });
});
