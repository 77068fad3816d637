/**
 * The part of a `kv-back` chaos run after the faults (write-back caches on every node). Write-back
 * is not linearizable across faults (docs/cache.md, "What a crash loses in write-back mode"), so
 * the run goes on healed: it waits until nothing of the fault phase can still land, SETs every key
 * again, runs the register workload once more, then reads every key on every node. The verdict
 * (kv_verdict.ts) wants that phase linearizable and the final reads in agreement.
 */
import type { HistoryRecorder } from "../history.ts";
import { delay } from "./harness.ts";
import { kvKeyName, runKvWorkload } from "./kv_workload.ts";
import { recordedCall } from "./workload.ts";

/** How long the register workload runs again after the faults. */
export const CALM_PHASE_MS = 5_000;
/** Bound on all tries of one key's SET or read. */
const KEY_TRIES_MS = 20_000;

/** Options of `afterTheFaults`. */
export interface AfterTheFaultsOptions {
  /** Client ports of the nodes. */
  readonly ports: readonly number[];
  readonly seed: number;
  /** Clients of the workload (processes 0..n-1); this phase's own calls use n and n + 1. */
  readonly clientCount: number;
  readonly keyCount: number;
  /**
   * Wait before the phase: longer than a request may stay open in a node, a lease bound and an
   * election, so no operation of the fault phase takes effect in it.
   */
  readonly settleMs: number;
}

/** Where the phase's operations start, and the events of the final reads. */
export interface AfterTheFaults {
  readonly calmFromEvent: number;
  readonly finalReads: { fromEvent: number; toEvent: number };
}

/** Runs the phase; a string says why it could not (the run is then inconclusive). */
export async function afterTheFaults(
  recorder: HistoryRecorder,
  o: AfterTheFaultsOptions,
): Promise<AfterTheFaults | string> {
  await delay(o.settleMs);
  const calmFromEvent = recorder.events().length;
  const setter = o.clientCount + 1;
  for (let key = 0; key < o.keyCount; key++) {
    const name = kvKeyName(key);
    const deadline = performance.now() + KEY_TRIES_MS;
    let written = false;
    for (let attempt = 0; !written && performance.now() < deadline; attempt++) {
      const port = o.ports[(key + attempt) % o.ports.length]!;
      written = await recordedCall(recorder, setter, port, "SET", [name, `r${key}.${attempt}`]);
      if (!written) await delay(100);
    }
    if (!written) return `no node took a SET of ${name} after the faults`;
  }
  const endMs = performance.now() + CALM_PHASE_MS;
  await runKvWorkload(recorder, {
    ports: o.ports,
    seed: o.seed + 1,
    clientCount: o.clientCount,
    keyCount: o.keyCount,
    valuePrefix: "c",
  }, () => performance.now() >= endMs);
  // A SET that timed out on its client may still be open in a node: let it end before the reads.
  await delay(o.settleMs);
  const fromEvent = recorder.events().length;
  for (const port of o.ports) {
    for (let key = 0; key < o.keyCount; key++) {
      const deadline = performance.now() + KEY_TRIES_MS;
      let read = false;
      while (!read && performance.now() < deadline) {
        read = await recordedCall(recorder, o.clientCount, port, "GET", [kvKeyName(key)]);
        if (!read) await delay(100);
      }
      if (!read) return `node on port ${port} did not answer a GET of ${kvKeyName(key)}`;
    }
  }
  return { calmFromEvent, finalReads: { fromEvent, toEvent: recorder.events().length } };
}
