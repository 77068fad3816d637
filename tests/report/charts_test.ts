import assert from "node:assert/strict";
import { chartSpec, renderSvg } from "../../bench/report/charts.ts";
import type { Chart } from "../../bench/report/results.ts";

const BASE: Chart = {
  id: "t",
  title: "Throughput",
  kind: "line",
  xTitle: "seconds",
  yTitle: "ops/s",
  series: [
    { name: "dsync", points: [{ x: 0, y: 5 }, { x: 1, y: 7 }, { x: 2, y: 6 }] },
    { name: "etcd", points: [{ x: 0, y: 3 }, { x: 1, y: 4 }] },
  ],
};

type Layer = { mark: { type: string }; encoding: Record<string, { scale?: { type: string } }> };

function layers(chart: Chart): Layer[] {
  return chartSpec(chart).layer as Layer[];
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

Deno.test("a chart with fault marks gets a rule layer and a label layer, rendered", async () => {
  const chart: Chart = { ...BASE, marks: [{ x: 1, label: "leader killed" }] };
  assert.deepEqual(layers(chart).map((layer) => layer.mark.type), ["line", "rule", "text"]);
  const svg = await renderSvg(chart);
  assert.ok(svg.startsWith("<svg"));
  assert.equal(count(svg, 'class="mark-rule role-mark'), 1);
  assert.ok(svg.includes("leader killed"));
});

Deno.test("a chart without marks has only its data layer and no rule mark", async () => {
  assert.deepEqual(layers(BASE).map((layer) => layer.mark.type), ["line"]);
  assert.equal(count(await renderSvg(BASE), 'class="mark-rule role-mark'), 0);
});

Deno.test("a log-scale chart asks vega-lite for log axes and drops points it cannot place", () => {
  const chart: Chart = {
    ...BASE,
    xScale: "log",
    yScale: "log",
    series: [{ name: "dsync", points: [{ x: 0, y: 1 }, { x: 1, y: 0 }, { x: 16, y: 9 }] }],
  };
  const [line] = layers(chart);
  assert.equal(line!.encoding.x!.scale!.type, "log");
  assert.deepEqual((line!.encoding.x as { axis?: unknown }).axis, { values: [16] });
  assert.equal(line!.encoding.y!.scale!.type, "log");
  const data = (chartSpec(chart).data as { values: unknown[] }).values;
  assert.deepEqual(data, [{ series: "dsync", x: 16, y: 9 }]);
});

Deno.test("one line per series in the SVG", async () => {
  const svg = await renderSvg({ ...BASE, xScale: "log", series: [...BASE.series].reverse() });
  assert.equal(count(svg, 'class="mark-line role-mark'), 2);
});

Deno.test("a bar chart renders one rect per point", async () => {
  const svg = await renderSvg({ ...BASE, kind: "bar" });
  const marks = svg.slice(svg.indexOf('class="mark-rect role-mark'));
  assert.equal(count(marks.slice(0, marks.indexOf("</g>")), "<path"), 5);
});

Deno.test("a chart with no series or empty series still renders, empty ones in the legend", async () => {
  for (const series of [[], [{ name: "dsync", points: [] }]]) {
    const svg = await renderSvg({ ...BASE, series });
    assert.ok(svg.startsWith("<svg"));
    assert.ok(svg.includes("Throughput"));
    assert.equal(count(svg, 'class="mark-line role-mark'), 0);
    assert.equal(svg.includes(">dsync</text>"), series.length === 1);
  }
});
