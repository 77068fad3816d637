/**
 * Runs the report's parts one after another and gathers their sections into a `Report`. A part
 * that throws does not stop the report: its section records the error and the runner goes on.
 */
import { loadSample, measureMachine } from "./machine.ts";
import type { ReportProgress } from "./progress.ts";
import type { Report, ReportPart, SectionResult } from "./results.ts";

/** What one report run measures and where. */
export interface RunOptions {
  parts: ReportPart[];
  quick: boolean;
  /** The out directory (exists); parts get scratch directories inside it. */
  outDir: string;
  /** The command line, as printed in the report. */
  command: string;
  progress: ReportProgress;
  /** True once the run should end after the part now running (Ctrl-C); parts left are skipped. */
  interrupted?: () => boolean;
}

/** The section of a part that threw: its error in `skipped`, nothing measured. */
export function failedSection(
  part: ReportPart,
  command: string,
  error: unknown,
  elapsedSeconds: number,
): SectionResult {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    id: part.id,
    title: part.title,
    command,
    text: [],
    charts: [],
    tables: [],
    summary: [],
    skipped: [`The part failed: ${reason}`],
    elapsedSeconds,
  };
}

/** The command that reproduces one part alone. */
export function partCommand(id: string, quick: boolean): string {
  return `deno task report --only ${id}${quick ? " --quick" : ""}`;
}

async function runPart(part: ReportPart, options: RunOptions): Promise<SectionResult> {
  const workDir = `${options.outDir}/work-${part.id}`;
  await Deno.mkdir(workDir, { recursive: true });
  const progress = options.progress.part(part.id, part.steps(options.quick));
  const started = performance.now();
  try {
    return await part.run({ quick: options.quick, workDir, progress });
  } catch (error) {
    progress.log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    const seconds = (performance.now() - started) / 1000;
    return failedSection(part, partCommand(part.id, options.quick), error, seconds);
  } finally {
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/** Measures the machine, runs every part in order and returns the whole report. */
export async function runReport(options: RunOptions): Promise<Report> {
  const startedAt = new Date().toISOString();
  const machine = await measureMachine(options.outDir);
  const sections: SectionResult[] = [];
  for (const part of options.parts) {
    if (options.interrupted?.() === true) {
      const command = partCommand(part.id, options.quick);
      sections.push(failedSection(part, command, new Error("interrupted before it ran"), 0));
      continue;
    }
    sections.push(await runPart(part, options));
    machine.loadAverages.push(loadSample(`after ${part.id}`));
  }
  return {
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    command: options.command,
    machine,
    sections,
  };
}
