/**
 * A picture of a chaos run: one row per client process, a bar per operation from invocation to
 * completion coloured by outcome, and shaded fault intervals behind them. Built as a vega-lite
 * spec and rendered to SVG with vega (no browser, no canvas).
 */
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { HistoryOperation, JsonValue } from "./history.ts";
import { describeFault, type NemesisSchedule } from "./nemesis.ts";

/** Bar colours by outcome; `unknown` is an `info` outcome (may or may not have happened). */
export const OUTCOME_COLORS = { ok: "#2ca02c", fail: "#d62728", unknown: "#ff7f0e" } as const;
/** Colour of fault intervals. */
export const FAULT_COLOR = "#9467bd";
/** Longest operation label drawn in a tooltip, characters. */
export const LABEL_CHARS_MAX = 120;

/** A shaded interval on the timeline. */
export interface TimelineFault {
  /** Text shown at its start. */
  readonly label: string;
  /** Start on the chart's axis, ms. */
  readonly startMs: number;
  /** End on the chart's axis, ms (>= startMs). */
  readonly stopMs: number;
}

/** Options of `buildTimelineSpec`. */
export interface TimelineOptions {
  /** Chart title. */
  readonly title?: string;
  /** Subtracted from history times to put them on the faults' axis (default 0). */
  readonly originMs?: number;
  /** Where operations that never completed end, on the axis (default: the latest time seen). */
  readonly endMs?: number;
  /** Plot width in pixels (default 900). */
  readonly widthPx?: number;
}

/** The fault intervals of a nemesis schedule (its times are already relative to the run). */
export function faultIntervals(schedule: NemesisSchedule): TimelineFault[] {
  return schedule.faults.map((f) => ({
    label: describeFault(f.fault),
    startMs: f.startMs,
    stopMs: f.stopMs,
  }));
}

/** Builds the vega-lite spec of a history and its faults. */
export function buildTimelineSpec(
  ops: readonly HistoryOperation[],
  faults: readonly TimelineFault[],
  options: TimelineOptions = {},
): vegaLite.TopLevelSpec {
  const originMs = options.originMs ?? 0;
  const latestMs = Math.max(
    0,
    ...ops.map((op) => (op.completeMs ?? op.invokeMs) - originMs),
    ...faults.map((f) => f.stopMs),
  );
  const endMs = options.endMs ?? latestMs;
  const processes = [...new Set(ops.map((op) => op.process))].sort((a, b) => a - b);
  const rows = ops.map((op) => ({
    process: `p${op.process}`,
    startMs: op.invokeMs - originMs,
    endMs: op.completeMs === null ? endMs : op.completeMs - originMs,
    outcome: op.outcome === "info" ? "unknown" : op.outcome,
    label: labelOf(op),
  }));
  const x = { field: "startMs", type: "quantitative", title: "ms since start" } as const;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...(options.title === undefined ? {} : { title: options.title }),
    width: options.widthPx ?? 900,
    height: Math.max(40, 22 * processes.length),
    layer: [
      {
        data: { values: faults.map((f) => ({ ...f })) },
        mark: { type: "rect", color: FAULT_COLOR, opacity: 0.18 },
        encoding: { x, x2: { field: "stopMs" }, tooltip: { field: "label" } },
      },
      {
        data: { values: faults.map((f) => ({ ...f })) },
        mark: {
          type: "text",
          align: "left",
          baseline: "top",
          dx: 2,
          fontSize: 9,
          color: FAULT_COLOR,
        },
        encoding: { x, y: { value: 2 }, text: { field: "label" } },
      },
      {
        data: { values: rows },
        mark: { type: "bar", height: 12 },
        encoding: {
          x,
          x2: { field: "endMs" },
          y: {
            field: "process",
            type: "nominal",
            title: "client",
            sort: processes.map((p) => `p${p}`),
          },
          color: {
            field: "outcome",
            type: "nominal",
            scale: { domain: Object.keys(OUTCOME_COLORS), range: Object.values(OUTCOME_COLORS) },
          },
          tooltip: [{ field: "label" }, { field: "outcome" }],
        },
      },
    ],
  };
}

/** Renders a vega-lite spec to an SVG document. */
export async function renderTimelineSvg(spec: vegaLite.TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function labelOf(op: HistoryOperation): string {
  const args = op.args.map(word).join(" ");
  const result = op.completeMs === null ? "?" : word(op.result);
  const label = `${op.op} ${args} -> ${result}`;
  return label.length > LABEL_CHARS_MAX ? `${label.slice(0, LABEL_CHARS_MAX - 3)}...` : label;
}

function word(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
