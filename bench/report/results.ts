/**
 * The one results format of `deno task report`: every part returns a `SectionResult`; the
 * runner gathers them into a `Report`, writes `report.json`, renders every `Chart` to SVG
 * (vega-lite) and writes `report.md`. Plain data only (JSON round-trips it unchanged).
 */

/** One point of a series: x (clients, seconds since start, nodes, ...) against y. */
export interface Point {
  x: number;
  y: number;
}

/** One line or bar group of a chart, named by the system it measures ("dsync 3 nodes", "etcd"). */
export interface Series {
  name: string;
  points: Point[];
}

/** A vertical mark on a timeline chart: the moment a fault was injected or healed. */
export interface ChartMark {
  x: number;
  label: string;
}

/** A chart the runner renders to `<id>.svg` with vega-lite. */
export interface Chart {
  /** File-name safe, unique within the report (`locks-throughput`). */
  id: string;
  title: string;
  kind: "line" | "bar";
  xTitle: string;
  yTitle: string;
  /** Log scale for client counts and the like; linear by default. */
  xScale?: "linear" | "log";
  yScale?: "linear" | "log";
  series: Series[];
  marks?: ChartMark[];
}

/** A table printed in report.md (cells already in their display units; null prints "-"). */
export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** One line of the summary table at the top: dsync against one peer on one measure. */
export interface SummaryRow {
  /** "locks", "key-value", "queues", "cache", "failover". */
  primitive: string;
  /** What was measured, with its unit ("acquire+release cycles/s, 64 clients"). */
  measure: string;
  dsync: number;
  /** The peer's name and version ("etcd 3.4.30"), or null where there is no peer. */
  peer: string | null;
  peerValue: number | null;
  /** dsync / peer where higher is better, peer / dsync where lower is better; null without a peer. */
  ratio: number | null;
  /** What the founding documents claimed for this measure, if they claimed anything. */
  claim?: string;
}

/** What one part of the report measured. */
export interface SectionResult {
  /** Stable id ("locks", "queues", "cache", "failures", "scale"). */
  id: string;
  title: string;
  /** The exact command that reproduces this section alone (`deno task report --only locks`). */
  command: string;
  /** Paragraphs of Markdown written from the measured values (no hard-coded figures). */
  text: string[];
  charts: Chart[];
  tables: Table[];
  summary: SummaryRow[];
  /** Why part of the section did not run (a peer not installed, a level that failed). */
  skipped: string[];
  /** Seconds this section took. */
  elapsedSeconds: number;
}

/** The machine the report ran on, measured at start. */
export interface Machine {
  cores: number;
  memoryBytes: number;
  os: string;
  denoVersion: string;
  /** fdatasync latency of the data directory's disk, measured at start (ms). */
  fsyncP50Ms: number;
  fsyncP99Ms: number;
  /** 1-minute load average at start and at the end of every section. */
  loadAverages: { at: string; load1m: number }[];
}

/** The whole report, as written to report.json. */
export interface Report {
  /** Bumped when a field changes meaning. */
  version: 1;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  /** The command line that produced this report. */
  command: string;
  machine: Machine;
  sections: SectionResult[];
}

/** Progress of one part, shown as a bar by the runner. */
export interface PartProgress {
  /** Moves the bar by `steps` (default 1) and shows `label` beside it. */
  advance(label: string, steps?: number): void;
  /** A line printed above the bars (warnings, skipped peers). */
  log(line: string): void;
}

/** What the runner hands every part. */
export interface PartContext {
  quick: boolean;
  /** A scratch directory for data dirs of clusters this part starts (removed by the runner). */
  workDir: string;
  progress: PartProgress;
}

/** One part of the report: the runner runs them in order, one at a time. */
export interface ReportPart {
  id: string;
  title: string;
  /** How many `advance` steps `run` makes (for the bar), for the given size. */
  steps(quick: boolean): number;
  run(context: PartContext): Promise<SectionResult>;
}
