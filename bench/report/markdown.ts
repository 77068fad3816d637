/**
 * `report.md` from a `Report` (pure): the summary table at the top beside the founding documents'
 * claims, the machine, then every section with its command, text, charts (as SVG images) and
 * tables.
 */
import { FOUNDING_CLAIMS } from "./claims.ts";
import { fixed, ratioText, significant } from "./format.ts";
import type { Report, SectionResult, SummaryRow, Table } from "./results.ts";

const BYTES_PER_GIB = 1024 ** 3;

/** The file name the runner writes a chart to (`<id>.svg`, beside report.md). */
export function chartFileName(chartId: string): string {
  return `${chartId}.svg`;
}

function cell(value: string | number | null): string {
  if (value === null) return "-";
  const text = typeof value === "number" ? significant(value) : value;
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** A Markdown table; numbers right-aligned by the separator row. */
export function markdownTable(table: Table): string[] {
  const numeric = table.columns.map((_, i) =>
    table.rows.length > 0 && table.rows.every((row) => typeof (row[i] ?? null) !== "string")
  );
  return [
    `| ${table.columns.map(cell).join(" | ")} |`,
    `| ${numeric.map((right) => right ? "--:" : "---").join(" | ")} |`,
    ...table.rows.map((row) =>
      `| ${table.columns.map((_, i) => cell(row[i] ?? null)).join(" | ")} |`
    ),
  ];
}

function summaryTable(rows: SummaryRow[]): Table {
  return {
    title: "Summary",
    columns: ["primitive", "measure", "dsync", "peer", "peer value", "dsync / peer", "claimed"],
    rows: rows.map((row) => [
      row.primitive,
      row.measure,
      row.dsync,
      row.peer ?? "-",
      row.peerValue,
      ratioText(row.ratio),
      row.claim === undefined ? "-" : `${row.claim} (claim)`,
    ]),
  };
}

function summaryLines(report: Report): string[] {
  const rows = report.sections.flatMap((section) => section.summary);
  const claimed = new Set(rows.flatMap((row) => row.claim === undefined ? [] : [row.claim]));
  const unmatched = FOUNDING_CLAIMS.filter((claim) => !claimed.has(claim.text));
  const lines = ["## Summary", ""];
  if (rows.length === 0) lines.push("No section produced a summary row.", "");
  else {
    lines.push(
      "dsync / peer is dsync's figure over the peer's where higher is better, the peer's over " +
        "dsync's where lower is better: above 1 dsync does better. The last column is what the " +
        "founding documents claimed, never measured.",
      "",
      ...markdownTable(summaryTable(rows)),
      "",
    );
  }
  if (unmatched.length > 0) {
    const texts = unmatched.map((claim) => `${claim.text} (${claim.primitive})`).join("; ");
    lines.push(
      `Claims of the founding documents with no measured row in this report: ${texts}.`,
      "",
    );
  }
  return lines;
}

function machineLines(report: Report): string[] {
  const machine = report.machine;
  const loads = machine.loadAverages.map((load) => `${fixed(load.load1m, 2)} (${load.at})`);
  return [
    "## Machine",
    "",
    ...markdownTable({
      title: "Machine",
      columns: ["fact", "value"],
      rows: [
        ["cores", String(machine.cores)],
        ["memory", `${fixed(machine.memoryBytes / BYTES_PER_GIB, 1)} GiB`],
        ["os", machine.os],
        ["deno", machine.denoVersion],
        [
          "fsync of the report's disk (4 KiB write + fdatasync)",
          `p50 ${significant(machine.fsyncP50Ms)} ms, p99 ${significant(machine.fsyncP99Ms)} ms`,
        ],
        ["1-minute load average", loads.join(", ")],
      ],
    }),
    "",
  ];
}

function sectionLines(section: SectionResult): string[] {
  const lines = [
    `## ${section.title}`,
    "",
    `Command: \`${section.command}\` (${fixed(section.elapsedSeconds, 0)} s).`,
    "",
  ];
  for (const paragraph of section.text) lines.push(paragraph, "");
  for (const chart of section.charts) {
    lines.push(`![${chart.title}](${chartFileName(chart.id)})`, "");
  }
  for (const table of section.tables) {
    lines.push(`**${table.title}**`, "", ...markdownTable(table), "");
  }
  if (section.skipped.length > 0) {
    lines.push("Not measured:", "", ...section.skipped.map((reason) => `- ${reason}`), "");
  }
  return lines;
}

/** The whole report.md. */
export function renderMarkdown(report: Report): string {
  const minutes = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 60_000;
  const lines = [
    `# dsync performance report${report.quick ? " (quick sizes)" : ""}`,
    "",
    `Measured ${report.startedAt} to ${report.finishedAt} (${fixed(minutes, 1)} min) by ` +
    `\`${report.command}\`. Every system ran on this one machine, on 127.0.0.1, with fsync on; ` +
    "levels of dsync and its peers alternate so background load hits them alike.",
    "",
    ...summaryLines(report),
    ...machineLines(report),
    ...report.sections.flatMap(sectionLines),
  ];
  return lines.join("\n").replace(/\n+$/, "") + "\n";
}
