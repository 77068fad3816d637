/**
 * Self time by function from a V8 `.cpuprofile` (as written by `deno run --cpu-prof`), optionally
 * restricted to a time window. Usage:
 *   deno run --allow-read bench/load/cpu_profile_top.ts FILE [--top 20] [--from-ms A] [--to-ms B]
 */
import { Command } from "commander";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** The parts of a `.cpuprofile` this tool reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds between consecutive samples (the first from `startTime`). */
  timeDeltas: number[];
}

/** One function's self time. */
export interface SelfTime {
  name: string;
  selfMs: number;
  /** Share of the non-idle samples in the window. */
  share: number;
}

/** Parses a `.cpuprofile` file. */
export async function readProfile(path: string): Promise<CpuProfile> {
  return JSON.parse(await Deno.readTextFile(path)) as CpuProfile;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split("/").slice(-2).join("/");
  const name = functionName === "" ? "(anonymous)" : functionName;
  return file === "" ? name : `${name} ${file}:${lineNumber + 1}`;
}

/** Time from the profile's start to its last sample, in ms. */
export function profileDurationMs(profile: CpuProfile): number {
  let us = 0;
  for (const deltaUs of profile.timeDeltas) us += deltaUs;
  return us / 1000;
}

/** Self time per function over [fromMs, toMs) after the profile's start, "(idle)" left out. */
export function selfTimes(
  profile: CpuProfile,
  window: { fromMs: number; toMs: number } = { fromMs: 0, toMs: Infinity },
): SelfTime[] {
  const labels = new Map<number, string>();
  for (const node of profile.nodes) labels.set(node.id, label(node));
  const totals = new Map<string, number>();
  let atUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const deltaUs = profile.timeDeltas[i] ?? 0;
    atUs += deltaUs;
    if (atUs < window.fromMs * 1000 || atUs >= window.toMs * 1000) continue;
    const name = labels.get(profile.samples[i]!) ?? "?";
    if (name === "(idle)") continue;
    // A sample stands for the interval up to the next one.
    const spanUs = profile.timeDeltas[i + 1] ?? deltaUs;
    totals.set(name, (totals.get(name) ?? 0) + spanUs);
    busyUs += spanUs;
  }
  return [...totals].map(([name, us]) => ({
    name,
    selfMs: us / 1000,
    share: busyUs === 0 ? 0 : us / busyUs,
  })).sort((a, b) => b.selfMs - a.selfMs);
}

/** The first `count` rows as a Markdown-friendly table, with the busy total. */
export function formatTop(times: SelfTime[], count: number): string {
  const busyMs = times.reduce((sum, time) => sum + time.selfMs, 0);
  const lines = [`busy ${busyMs.toFixed(0)} ms`, "| self ms | % busy | function |"];
  lines.push("| ------: | -----: | -------- |");
  for (const time of times.slice(0, count)) {
    lines.push(
      `| ${time.selfMs.toFixed(0)} | ${(time.share * 100).toFixed(1)} | \`${time.name}\` |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const command = new Command()
    .argument("<file>")
    .option("--top <n>", "rows", "20")
    .option("--from-ms <ms>", "window start after the profile's start", "0")
    .option("--to-ms <ms>", "window end", "Infinity")
    .parse(Deno.args, { from: "user" });
  const options = command.opts();
  const profile = await readProfile(command.args[0]!);
  const window = { fromMs: Number(options.fromMs), toMs: Number(options.toMs) };
  console.log(formatTop(selfTimes(profile, window), Number(options.top)));
}
