/**
 * Charts of the report: a `Chart` becomes a vega-lite spec (pure, `chartSpec`), which vega renders
 * headless to an SVG string (`renderSvg`). Lines carry a point per measurement; fault marks are
 * vertical rules with their label at the top.
 */
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { Chart } from "./results.ts";

/** Width and height of the plotting area, in pixels. */
const CHART_WIDTH_PX = 560;
const CHART_HEIGHT_PX = 260;
/** Most distinct x values a log axis ticks one by one (more get vega's own ticks). */
const LOG_TICK_COUNT_MAX = 12;
/** Widest legend label before vega-lite shortens it with an ellipsis. */
const LEGEND_LABEL_PX_MAX = 360;
/** Mark labels cycle over this many lines below the top of the plot. */
const MARK_LABEL_ROWS = 4;
const MARK_LABEL_ROW_PX = 13;
/** Colour of fault marks (rules and their labels). */
const MARK_COLOR = "#b22222";

/** A vega-lite spec as plain JSON (the library's own type is too wide to build by hand). */
export type VegaLiteSpec = Record<string, unknown>;

/** One data row of a chart: the series name, x and y. */
interface Row {
  series: string;
  x: number;
  y: number;
}

function rowsOf(chart: Chart): Row[] {
  return chart.series.flatMap((series) =>
    series.points
      // A log axis cannot place zero or negative values; drop them rather than fail the chart.
      .filter((point) => chart.xScale !== "log" || point.x > 0)
      .filter((point) => chart.yScale !== "log" || point.y > 0)
      .map((point) => ({ series: series.name, x: point.x, y: point.y }))
  );
}

function dataLayer(chart: Chart): VegaLiteSpec {
  const seriesNames = chart.series.map((series) => series.name);
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: { domain: seriesNames },
    legend: { orient: "bottom", columns: 2, labelLimit: LEGEND_LABEL_PX_MAX },
  };
  const y = {
    field: "y",
    type: "quantitative",
    title: chart.yTitle,
    scale: chart.yScale === "log" ? { type: "log" } : { type: "linear", zero: true },
  };
  if (chart.kind === "bar") {
    return {
      mark: { type: "bar" },
      encoding: {
        x: { field: "x", type: "ordinal", title: chart.xTitle },
        xOffset: { field: "series", type: "nominal", scale: { domain: seriesNames } },
        y,
        color,
      },
    };
  }
  const xScale = chart.xScale === "log"
    ? { type: "log", nice: false }
    : { type: "linear", zero: false };
  // On a log axis of a few measured levels (clients 1, 16, 64, 256) tick exactly those levels.
  const levels = [...new Set(rowsOf(chart).map((row) => row.x))].sort((a, b) => a - b);
  const axis = chart.xScale === "log" && levels.length <= LOG_TICK_COUNT_MAX
    ? { values: levels }
    : {};
  return {
    mark: { type: "line", point: true, strokeWidth: 2 },
    encoding: {
      x: { field: "x", type: "quantitative", title: chart.xTitle, scale: xScale, axis },
      y,
      color,
    },
  };
}

function markLayers(chart: Chart): VegaLiteSpec[] {
  const marks = chart.marks ?? [];
  if (marks.length === 0) return [];
  // Labels of marks close together would overwrite each other: each goes one line lower.
  const data = {
    values: marks.map((mark, i) => ({
      x: mark.x,
      label: mark.label,
      yPx: (i % MARK_LABEL_ROWS) * MARK_LABEL_ROW_PX,
    })),
  };
  const x = { field: "x", type: "quantitative" };
  return [
    {
      data,
      mark: { type: "rule", color: MARK_COLOR, strokeDash: [4, 3], strokeWidth: 1.5 },
      encoding: { x },
    },
    {
      data,
      mark: { type: "text", color: MARK_COLOR, align: "left", dx: 3, baseline: "top" },
      encoding: {
        x,
        y: { field: "yPx", type: "quantitative", scale: null },
        text: { field: "label" },
      },
    },
  ];
}

/** The vega-lite spec of `chart`: one layer of lines or bars, plus rules for its marks. */
export function chartSpec(chart: Chart): VegaLiteSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: chart.title,
    width: CHART_WIDTH_PX,
    height: CHART_HEIGHT_PX,
    background: "white",
    config: { font: "sans-serif" },
    data: { values: rowsOf(chart) },
    layer: [dataLayer(chart), ...markLayers(chart)],
  };
}

/** Renders `chart` to an SVG document (headless: no canvas, no browser). */
export async function renderSvg(chart: Chart): Promise<string> {
  // chartSpec builds plain JSON; vega-lite checks its shape while compiling.
  const spec = chartSpec(chart) as unknown as vegaLite.TopLevelSpec;
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
