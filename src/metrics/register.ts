import client from "prom-client";
import type { MetricSource } from "./metric_source.ts";

/**
 * Registers `source` in `registry`, read at each scrape: a counter when its name ends in
 * `_total` (Prometheus convention: rate() works on it), a gauge otherwise.
 */
export function registerSource(registry: client.Registry, source: MetricSource): void {
  const read = source.value;
  const registers = [registry];
  if (source.name.endsWith("_total")) {
    new client.Counter({
      name: source.name,
      help: source.help,
      registers,
      collect() {
        this.reset();
        this.inc(Math.max(0, read()));
      },
    });
    return;
  }
  new client.Gauge({
    name: source.name,
    help: source.help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

/** A gauge with one label, all of whose series are recomputed at each scrape. */
export function registerLabelled(
  registry: client.Registry,
  name: string,
  help: string,
  label: string,
  read: () => Array<[labelValue: string, value: number]>,
): void {
  new client.Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [labelValue, value] of read()) this.set({ [label]: labelValue }, value);
    },
  });
}
