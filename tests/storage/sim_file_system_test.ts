import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/random.ts";
import { SIM_PAGE_BYTES, SimFileSystem, SimulatedCrashError } from "./sim_file_system.ts";

const NEVER = () => 1;
const ALWAYS = () => 0;

function pageOf(fill: number, pages = 1): Uint8Array {
  return new Uint8Array(SIM_PAGE_BYTES * pages).fill(fill);
}

async function fileWith(fs: SimFileSystem, path: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir("/d");
  await fs.syncDir("/");
  const file = await fs.open(path, "createNew");
  await file.write(bytes, 0);
  await file.sync();
  await fs.syncDir("/d");
}

Deno.test("sim disk: synced data survives a crash that drops everything unsynced", async () => {
  const fs = new SimFileSystem();
  await fileWith(fs, "/d/f", pageOf(1));
  const file = await fs.open("/d/f", "write");
  await file.write(pageOf(2), SIM_PAGE_BYTES);
  fs.crash(NEVER);
  assert.deepEqual(fs.fileBytes("/d/f"), pageOf(1));
  await assert.rejects(file.write(pageOf(3), 0), SimulatedCrashError);
});

Deno.test("sim disk: a crash may keep a later unsynced page without an earlier one", async () => {
  const fs = new SimFileSystem();
  await fileWith(fs, "/d/f", new Uint8Array(0));
  const file = await fs.open("/d/f", "write");
  await file.write(new Uint8Array(3 * SIM_PAGE_BYTES).fill(7), 0);
  const choices = [false, false, true];
  fs.crash(() => (choices.shift() ? 0 : 1));
  const bytes = fs.fileBytes("/d/f")!;
  assert.equal(bytes.length, 3 * SIM_PAGE_BYTES);
  assert.deepEqual(bytes.subarray(0, 2 * SIM_PAGE_BYTES), new Uint8Array(2 * SIM_PAGE_BYTES));
  assert.deepEqual(bytes.subarray(2 * SIM_PAGE_BYTES), pageOf(7));
});

Deno.test("sim disk: an unsynced truncation can be undone by a crash", async () => {
  const fs = new SimFileSystem();
  await fileWith(fs, "/d/f", pageOf(5, 2));
  const file = await fs.open("/d/f", "write");
  await file.truncate(10);
  fs.crash(NEVER);
  assert.deepEqual(fs.fileBytes("/d/f"), pageOf(5, 2));
});

Deno.test("sim disk: creations, renames and removals need a directory sync", async () => {
  const fs = new SimFileSystem();
  await fileWith(fs, "/d/old", pageOf(1));
  const created = await fs.open("/d/new", "createNew");
  await created.write(pageOf(2), 0);
  await created.sync();
  await fs.rename("/d/new", "/d/old");
  fs.crash(NEVER);
  assert.deepEqual(await fs.list("/d"), ["old"]);
  assert.deepEqual(fs.fileBytes("/d/old"), pageOf(1));

  const again = await fs.open("/d/new", "createNew");
  await again.write(pageOf(3), 0);
  await again.sync();
  await fs.rename("/d/new", "/d/old");
  await fs.syncDir("/d");
  await fs.remove("/d/old");
  fs.crash(NEVER);
  assert.deepEqual(fs.fileBytes("/d/old"), pageOf(3));
});

Deno.test("sim disk: crashes keep some unsynced pages and drop others over many seeds", async () => {
  let sawKept = false;
  let sawDropped = false;
  for (let seed = 1; seed <= 20; seed++) {
    const fs = new SimFileSystem();
    await fileWith(fs, "/d/f", new Uint8Array(0));
    const file = await fs.open("/d/f", "write");
    await file.write(pageOf(9, 4), 0);
    const random = new SeededRandom(seed);
    fs.crash(() => random.next());
    const bytes = fs.fileBytes("/d/f")!;
    for (let page = 0; page < 4; page++) {
      const start = page * SIM_PAGE_BYTES;
      if (bytes.length <= start || bytes[start] === 0) sawDropped = true;
      else sawKept = true;
    }
  }
  assert.ok(sawKept && sawDropped);
});

Deno.test("sim disk: crashAfterOps cuts the power before the next mutating operation", async () => {
  const fs = new SimFileSystem();
  await fileWith(fs, "/d/f", pageOf(1));
  const file = await fs.open("/d/f", "write");
  fs.crashAfterOps(1);
  await file.write(pageOf(2), 0);
  await assert.rejects(file.sync(), SimulatedCrashError);
  await assert.rejects(fs.list("/d"), SimulatedCrashError);
  assert.equal(fs.powerCut, true);
  fs.crash(ALWAYS);
  assert.equal(fs.powerCut, false);
  assert.deepEqual(fs.fileBytes("/d/f"), pageOf(2));
  assert.ok(await fs.tryLock("/d/LOCK"));
  assert.equal(await fs.tryLock("/d/LOCK"), null);
});
