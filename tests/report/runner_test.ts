import assert from "node:assert/strict";
import { defaultOutDir, selectParts } from "../../bench/report/main.ts";
import type { PartProgress, ReportPart } from "../../bench/report/results.ts";
import { runReport } from "../../bench/report/runner.ts";
import type { ReportProgress } from "../../bench/report/progress.ts";
import { sectionFixture } from "./report_fixture.ts";

const SILENT: ReportProgress = {
  part: (): PartProgress => ({ advance() {}, log() {} }),
  log() {},
  stop() {},
};

function part(id: string, run: ReportPart["run"]): ReportPart {
  return { id, title: `Part ${id}`, steps: () => 1, run };
}

Deno.test("a part that throws becomes a section with the error; the next part still runs", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "dsync-report-test-" });
  try {
    const seen: string[] = [];
    const report = await runReport({
      parts: [
        part("broken", () => Promise.reject(new Error("etcd exploded"))),
        part("fine", (context) => {
          seen.push(context.workDir);
          return Promise.resolve(sectionFixture("fine"));
        }),
      ],
      quick: true,
      outDir,
      command: "deno task report --quick",
      progress: SILENT,
    });
    assert.deepEqual(report.sections.map((section) => section.id), ["broken", "fine"]);
    assert.deepEqual(report.sections[0]!.skipped, ["The part failed: etcd exploded"]);
    assert.equal(report.sections[0]!.command, "deno task report --only broken --quick");
    assert.equal(report.version, 1);
    assert.ok(report.machine.fsyncP99Ms >= report.machine.fsyncP50Ms);
    assert.ok(report.machine.fsyncP50Ms > 0);
    assert.deepEqual(report.machine.loadAverages.map((load) => load.at), [
      "start",
      "after broken",
      "after fine",
    ]);
    // The scratch directory was inside the out dir and is gone afterwards.
    assert.ok(seen[0]!.startsWith(outDir));
    await assert.rejects(Deno.stat(seen[0]!), Deno.errors.NotFound);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("after an interrupt the parts not yet run are listed as skipped, not run", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "dsync-report-test-" });
  try {
    let interrupted = false;
    const ran: string[] = [];
    const stub = (id: string) =>
      part(id, () => {
        ran.push(id);
        interrupted = true;
        return Promise.resolve(sectionFixture(id));
      });
    const report = await runReport({
      parts: [stub("first"), stub("second")],
      quick: false,
      outDir,
      command: "deno task report",
      progress: SILENT,
      interrupted: () => interrupted,
    });
    assert.deepEqual(ran, ["first"]);
    assert.deepEqual(report.sections[1]!.skipped, ["The part failed: interrupted before it ran"]);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("--only keeps registry order and refuses an unknown id, naming the known ones", () => {
  const parts = ["locks", "kv", "queues"].map((id) => part(id, () => Promise.reject()));
  assert.deepEqual(selectParts(parts, "queues,locks").map((p) => p.id), ["locks", "queues"]);
  assert.equal(selectParts(parts, undefined).length, 3);
  assert.throws(
    () => selectParts(parts, "lockz"),
    /Invalid --only entry 'lockz': use locks, kv, queues/,
  );
  assert.throws(() => selectParts(parts, ","), /name at least one part/);
});

Deno.test("the default out dir is named by the UTC time, without colons", () => {
  assert.equal(defaultOutDir(new Date("2026-11-30T12:05:09.123Z")), "report-2026-11-30T12-05-09Z");
});
