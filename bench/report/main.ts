/**
 * `deno task report [--quick] [--out DIR] [--only ID,...]`: runs the parts of the performance
 * report (bench/report/parts.ts) and writes report.md, report.json and one SVG per chart into one
 * folder (default `report-<UTC timestamp>/` in the current directory), then says where.
 */
import { Command } from "commander";
import { REPORT_PARTS } from "./parts.ts";
import { createProgress } from "./progress.ts";
import type { ReportPart } from "./results.ts";
import { runReport } from "./runner.ts";
import { writeReport } from "./write.ts";

/** The parts named by `--only` (in registry order), or every part; throws on an unknown id. */
export function selectParts(parts: readonly ReportPart[], only: string | undefined): ReportPart[] {
  if (only === undefined) return [...parts];
  const ids = only.split(",").map((id) => id.trim()).filter((id) => id !== "");
  const known = parts.map((part) => part.id);
  for (const id of ids) {
    if (!known.includes(id)) {
      throw new RangeError(`Invalid --only entry '${id}': use ${known.join(", ")}`);
    }
  }
  if (ids.length === 0) throw new RangeError("Invalid --only: name at least one part");
  return parts.filter((part) => ids.includes(part.id));
}

/** `report-2026-11-30T12-05-09Z`: sorts by time, safe in every file system. */
export function defaultOutDir(now: Date): string {
  return `report-${now.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-")}`;
}

async function main(): Promise<void> {
  const options = new Command()
    .name("deno task report")
    .option("--quick", "small sizes (well under 3 minutes), as CI runs it")
    .option("--out <dir>", "folder for report.md, report.json and the charts")
    .option("--only <ids>", `parts to run: ${REPORT_PARTS.map((part) => part.id).join(",")}`)
    .parse(Deno.args, { from: "user" })
    .opts();
  const parts = selectParts(REPORT_PARTS, options.only as string | undefined);
  const outDir = String(options.out ?? defaultOutDir(new Date()));
  await Deno.mkdir(outDir, { recursive: true });
  const progress = createProgress();
  const command = ["deno task report", ...Deno.args].join(" ");
  // Ctrl-C lets the running part stop its processes by PID, skips the rest and writes what was
  // measured; a second Ctrl-C exits at once.
  let interruptCount = 0;
  const onInterrupt = () => {
    interruptCount++;
    if (interruptCount > 1) Deno.exit(130);
    progress.log(
      "Interrupted: finishing the running part (stops its processes); Ctrl-C again quits",
    );
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  let markdownPath: string;
  try {
    const report = await runReport({
      parts,
      quick: options.quick === true,
      outDir,
      command,
      progress,
      interrupted: () => interruptCount > 0,
    });
    markdownPath = await writeReport(outDir, report);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    progress.stop();
  }
  console.log(
    `Report written to ${await Deno.realPath(markdownPath)} (with report.json and charts)`,
  );
}

if (import.meta.main) await main();
