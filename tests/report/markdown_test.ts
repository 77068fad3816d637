import assert from "node:assert/strict";
import { markdownTable, renderMarkdown } from "../../bench/report/markdown.ts";
import { FOUNDING_CLAIMS } from "../../bench/report/claims.ts";
import { reportFixture, sectionFixture } from "./report_fixture.ts";

Deno.test("report.md opens with the summary table, each claim beside its row, labelled", () => {
  const markdown = renderMarkdown(reportFixture([sectionFixture()]));
  const summaryAt = markdown.indexOf("## Summary");
  assert.ok(summaryAt > 0 && summaryAt < markdown.indexOf("## Machine"));
  assert.ok(summaryAt < markdown.indexOf("## Section locks"));
  assert.match(
    markdown,
    /\| locks \| cycles\/s, 64 clients \| 900 \| etcd 3\.4\.23, 3 nodes \| 600 \| 1\.50x \| 1,200 lock ops\/s on 3 nodes \(claim\) \|/,
  );
});

Deno.test("report.md names every founding claim no row carries, so none is lost", () => {
  const markdown = renderMarkdown(reportFixture([sectionFixture()]));
  for (const claim of FOUNDING_CLAIMS.slice(1)) {
    assert.ok(markdown.includes(claim.text), claim.text);
  }
  const unmatchedLine = markdown.split("\n").find((line) => line.startsWith("Claims of"));
  assert.ok(unmatchedLine !== undefined && !unmatchedLine.includes("1,200 lock ops/s"));
});

Deno.test("report.md gives each section its command, text, chart images, tables, skipped", () => {
  const markdown = renderMarkdown(reportFixture([sectionFixture("locks"), sectionFixture("kv")]));
  for (const id of ["locks", "kv"]) {
    assert.ok(markdown.includes(`Command: \`deno task report --only ${id}\` (12 s).`));
    assert.ok(markdown.includes(`Paragraph of ${id}.`));
    assert.ok(markdown.includes(`![${id} throughput](${id}-throughput.svg)`));
  }
  assert.ok(markdown.includes("| dsync | 1,234.5 |") || markdown.includes("| dsync | 1,235 |"));
  assert.ok(markdown.includes("- nats-server: not installed"));
  assert.ok(markdown.includes("p50 1.50 ms, p99 20 ms"));
});

Deno.test("markdownTable right-aligns numeric columns, escapes pipes, prints null as -", () => {
  const lines = markdownTable({
    title: "t",
    columns: ["name", "value"],
    rows: [["a|b", 3], ["c", null]],
  });
  assert.deepEqual(lines, ["| name | value |", "| --- | --: |", "| a\\|b | 3 |", "| c | - |"]);
});

Deno.test("report.md says so when no section produced a summary row", () => {
  const section = { ...sectionFixture(), summary: [] };
  const markdown = renderMarkdown(reportFixture([section]));
  assert.ok(markdown.includes("No section produced a summary row."));
  assert.ok(markdown.includes("1,200 lock ops/s on 3 nodes (locks)"));
});
