/** A small hand-made report for the tests of the report's writers. */
import type { Report, SectionResult } from "../../bench/report/results.ts";

/** A section with one chart, one table, one summary row (with a claim) and one skipped reason. */
export function sectionFixture(id = "locks"): SectionResult {
  return {
    id,
    title: `Section ${id}`,
    command: `deno task report --only ${id}`,
    text: [`Paragraph of ${id}.`],
    charts: [{
      id: `${id}-throughput`,
      title: `${id} throughput`,
      kind: "line",
      xTitle: "clients",
      yTitle: "ops/s",
      xScale: "log",
      series: [{ name: "dsync 3 nodes", points: [{ x: 1, y: 10 }, { x: 16, y: 120 }] }],
    }],
    tables: [{ title: "Levels", columns: ["system", "ops/s"], rows: [["dsync", 1234.5]] }],
    summary: [{
      primitive: "locks",
      measure: "cycles/s, 64 clients",
      dsync: 900,
      peer: "etcd 3.4.23, 3 nodes",
      peerValue: 600,
      ratio: 1.5,
      claim: "1,200 lock ops/s on 3 nodes",
    }],
    skipped: ["nats-server: not installed"],
    elapsedSeconds: 12,
  };
}

/** A report holding `sections`. */
export function reportFixture(sections: SectionResult[]): Report {
  return {
    version: 1,
    startedAt: "2026-11-30T12:00:00.000Z",
    finishedAt: "2026-11-30T12:06:00.000Z",
    quick: false,
    command: "deno task report",
    machine: {
      cores: 2,
      memoryBytes: 8 * 1024 ** 3,
      os: "linux 6.1 x86_64",
      denoVersion: "2.9.6",
      fsyncP50Ms: 1.5,
      fsyncP99Ms: 20,
      loadAverages: [{ at: "start", load1m: 1.25 }],
    },
    sections,
  };
}
