/**
 * Progress of the report: on a terminal one cli-progress bar per part (sized by its steps), else
 * one plain line per step, so logs of CI runs stay readable.
 */
import cliProgress from "cli-progress";
import process from "node:process";
import type { PartProgress } from "./results.ts";

/** The progress display of a whole report run. */
export interface ReportProgress {
  /** The `PartProgress` handed to part `id`, whose bar holds `steps` steps. */
  part(id: string, steps: number): PartProgress;
  /** A line outside every bar. */
  log(line: string): void;
  /** Ends the display (bars stay on screen at their final state). */
  stop(): void;
}

/** Bars on a terminal, plain lines otherwise. */
export function createProgress(terminal = Deno.stdout.isTerminal()): ReportProgress {
  return terminal ? barProgress() : lineProgress();
}

function lineProgress(): ReportProgress {
  const log = (line: string) => console.log(line);
  return {
    part(id, steps) {
      let done = 0;
      return {
        advance(label, count = 1) {
          done = Math.min(steps, done + count);
          log(`[${id} ${done}/${steps}] ${label}`);
        },
        log: (line) => log(`[${id}] ${line}`),
      };
    },
    log,
    stop() {},
  };
}

function barProgress(): ReportProgress {
  const multi = new cliProgress.MultiBar({
    stream: process.stdout,
    format: "{part} |{bar}| {value}/{total} {label}",
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  const log = (line: string) => multi.log(`${line}\n`);
  return {
    part(id, steps) {
      const bar = multi.create(Math.max(1, steps), 0, { part: id.padEnd(9), label: "starting" });
      let done = 0;
      return {
        advance(label, count = 1) {
          done = Math.min(steps, done + count);
          bar.update(done, { label });
        },
        log: (line) => log(`${id}: ${line}`),
      };
    },
    log,
    stop: () => multi.stop(),
  };
}
