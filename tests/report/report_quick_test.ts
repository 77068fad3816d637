/**
 * `deno task report --quick` end to end, as CI runs it: the task's own command line from deno.json
 * in a child process (killed by PID after 5 minutes), then the folder's structure, never figures.
 */
import assert from "node:assert/strict";
import { REPORT_PARTS } from "../../bench/report/parts.ts";
import type { Chart, Report } from "../../bench/report/results.ts";
import { within } from "../cli/child_run.ts";

const REPORT_TIMEOUT_MS = 5 * 60_000;
const ROOT = new URL("../../", import.meta.url);

/** The `report` task of deno.json, split into program and arguments (it has no quoting). */
async function reportTask(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    tasks: Record<string, string>;
  };
  const task = config.tasks["report"];
  assert.ok(task !== undefined, "deno.json has a report task");
  return task.split(" ").filter((word) => word !== "");
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** One drawn mark per series with points: a line group each, or a rect per bar. */
function assertDrawn(chart: Chart, svg: string): void {
  assert.ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), `${chart.id} is SVG`);
  const drawn = chart.series.filter((series) => series.points.length > 0).length;
  const found = chart.kind === "line"
    ? count(svg, 'class="mark-line role-mark')
    : count(svg.slice(svg.indexOf('class="mark-rect role-mark')), "<path");
  assert.ok(found >= drawn, `${chart.id}: ${found} drawn marks for ${drawn} series`);
}

Deno.test("deno task report --quick writes report.json, report.md and one SVG per chart", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "dsync-report-quick-" });
  try {
    const [program, ...args] = await reportTask();
    assert.equal(program, "deno");
    const child = new Deno.Command(Deno.execPath(), {
      args: [...args, "--quick", "--out", outDir],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = await within(child.output(), REPORT_TIMEOUT_MS, child);
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr).slice(-2_000));
    assert.match(stdout, /Report written to .*report\.md/);

    const report = JSON.parse(await Deno.readTextFile(`${outDir}/report.json`)) as Report;
    assert.equal(report.version, 1);
    assert.equal(report.quick, true);
    assert.ok(report.machine.cores > 0 && report.machine.memoryBytes > 0);
    assert.ok(Number.isFinite(report.machine.fsyncP50Ms) && report.machine.fsyncP50Ms > 0);
    assert.ok(report.machine.fsyncP99Ms >= report.machine.fsyncP50Ms);
    assert.ok(report.machine.loadAverages.length === REPORT_PARTS.length + 1);
    assert.deepEqual(report.sections.map((s) => s.id), REPORT_PARTS.map((p) => p.id));

    const markdown = await Deno.readTextFile(`${outDir}/report.md`);
    assert.ok(markdown.includes("## Summary"));
    assert.match(
      markdown,
      /\| primitive \| measure \| dsync \| peer \| peer value \| dsync \/ peer \| claimed \|/,
    );
    for (const section of report.sections) {
      assert.ok(markdown.includes(`## ${section.title}`), section.id);
      assert.ok(section.command.includes(`--only ${section.id}`), section.command);
      for (const chart of section.charts) {
        const svg = await Deno.readTextFile(`${outDir}/${chart.id}.svg`);
        assertDrawn(chart, svg);
        assert.ok(markdown.includes(`](${chart.id}.svg)`), `report.md links ${chart.id}.svg`);
      }
    }
    // No scratch directory is left behind.
    const names: string[] = [];
    for await (const entry of Deno.readDir(outDir)) names.push(entry.name);
    assert.deepEqual(names.filter((name) => name.startsWith("work-")), []);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
