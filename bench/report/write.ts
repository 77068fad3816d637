/**
 * Writes a finished report into its folder: one `<chart id>.svg` per chart, `report.json` and
 * `report.md`. A chart that does not render is noted in its section's `skipped`.
 */
import { renderSvg } from "./charts.ts";
import { chartFileName, renderMarkdown } from "./markdown.ts";
import type { Report } from "./results.ts";

/** Renders every chart, then writes report.json and report.md; returns report.md's path. */
export async function writeReport(outDir: string, report: Report): Promise<string> {
  for (const section of report.sections) {
    const rendered = [];
    for (const chart of section.charts) {
      try {
        await Deno.writeTextFile(`${outDir}/${chartFileName(chart.id)}`, await renderSvg(chart));
        rendered.push(chart);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        section.skipped.push(`Chart ${chart.id} did not render: ${reason}`);
      }
    }
    section.charts = rendered;
  }
  await Deno.writeTextFile(`${outDir}/report.json`, JSON.stringify(report, null, 2) + "\n");
  const markdownPath = `${outDir}/report.md`;
  await Deno.writeTextFile(markdownPath, renderMarkdown(report));
  return markdownPath;
}
