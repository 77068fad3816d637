/**
 * Applies a `planNemesis` schedule to a `ChaosCluster`: proxies for partitions and delays,
 * signals for kills, pauses and restarts, and the documented wiped-disk procedure (CLUSTER REMOVE
 * through a healthy node, then an empty start with `--join`). Faults run one at a time; each is
 * healed at its stop event, and `healAll()` heals whatever is left.
 */
import { describeFault, type Fault, type NemesisSchedule } from "../nemesis.ts";
import type { TimelineFault } from "../timeline.ts";
import { wipeRefusal } from "../wipe_rule.ts";
import { type ChaosCluster, delay } from "./harness.ts";

/** Longest time spent retrying CLUSTER REMOVE of a wiped node. */
export const WIPE_REMOVE_TIMEOUT_MS = 15_000;
/** Longest wait for the cluster to settle before a wipe (else the wipe is skipped). */
export const WIPE_SETTLE_WAIT_MS = 15_000;
/** How often a waiting wipe asks again. */
const WIPE_POLL_MS = 500;

/** A fault as it really happened, in ms from the run's origin. */
export interface AppliedFault extends TimelineFault {
  /** Index in the schedule. */
  readonly faultIndex: number;
}

/** Runs a schedule's events at their times (relative to `originMs` on performance.now()). */
export class NemesisExecutor {
  readonly #cluster: ChaosCluster;
  readonly #log: (line: string) => void;
  readonly #applied: AppliedFault[] = [];
  readonly #errors: string[] = [];
  readonly #notes: string[] = [];
  readonly #open = new Map<number, { label: string; startMs: number; nodes: string[] }>();
  readonly #down = new Set<string>();
  readonly #wiped = new Set<string>();
  #originMs = 0;

  /** `log` receives one line per fault start and stop. */
  constructor(cluster: ChaosCluster, log: (line: string) => void) {
    this.#cluster = cluster;
    this.#log = log;
  }

  /** Faults applied so far, with their real intervals. */
  get applied(): readonly AppliedFault[] {
    return this.#applied;
  }

  /** Problems that left the cluster unhealed at the end (a run with any is inconclusive). */
  get errors(): readonly string[] {
    return this.#errors;
  }

  /** Problems that a later step repaired (a failed re-join retried, a removal retried). */
  get notes(): readonly string[] {
    return this.#notes;
  }

  /** Plays every event in order; stops early once `shouldStop()` is true. */
  async run(schedule: NemesisSchedule, originMs: number, shouldStop: () => boolean) {
    this.#originMs = originMs;
    for (const event of schedule.events) {
      const waitMs = originMs + event.atMs - performance.now();
      if (waitMs > 0) await delay(waitMs);
      if (shouldStop()) break;
      this.#noticeExits();
      if (event.action === "start") await this.#start(event.faultIndex, event.fault);
      else await this.#stop(event.faultIndex, event.fault);
    }
  }

  /** Heals everything still faulty: links, pauses, stopped and wiped nodes. */
  async healAll(): Promise<void> {
    this.#noticeExits();
    for (const [faultIndex] of this.#open) this.#close(faultIndex);
    this.#cluster.healLinks();
    for (const id of this.#cluster.ids) this.#cluster.resumeNode(id);
    await this.#startDown();
    for (const id of this.#down) this.#errors.push(`${id} could not be started again by the end`);
  }

  /** A node that exited by itself is down: it is started again at the next heal. */
  #noticeExits(): void {
    for (const id of this.#cluster.ids) {
      if (!this.#cluster.isServing(id) && !this.#down.has(id)) {
        if (!this.#cluster.isPaused(id)) this.#down.add(id);
      }
    }
  }

  #now(): number {
    return performance.now() - this.#originMs;
  }

  async #start(faultIndex: number, fault: Fault): Promise<void> {
    let label = describeFault(fault);
    let nodes: string[] = [];
    const c = this.#cluster;
    try {
      switch (fault.kind) {
        case "partition-majority":
        case "partition-bridge":
          for (const [from, to] of fault.cutLinks) if (from < to) c.cutLink(from, to);
          break;
        case "isolate-leader": {
          const leader = await c.findLeader();
          label = `isolate-leader ${leader ?? "(none found)"}`;
          if (leader !== null) {
            for (const id of c.ids) if (id !== leader) c.cutLink(leader, id);
          }
          break;
        }
        case "link-loss-oneway":
          for (const [from, to] of fault.links) c.dropLink(from, to);
          break;
        case "link-delay":
          for (const [from, to] of fault.links) {
            if (from < to) c.delayLink(from, to, fault.delayMs, fault.jitterMs);
          }
          break;
        case "pause":
          nodes = [...fault.nodes];
          for (const id of nodes) c.pauseNode(id);
          break;
        case "kill":
        case "restart":
          nodes = [...fault.nodes];
          for (const id of nodes) {
            this.#down.add(id);
            await (fault.kind === "kill" ? c.killNode(id) : c.stopNode(id));
          }
          break;
        case "wipe-minority":
          nodes = [...fault.nodes];
          if (this.#down.size > 0) {
            // Wiping while another node is still out would lose a majority of the disks.
            label = `${label} (skipped: ${[...this.#down].join(" ")} still down)`;
            nodes = [];
            break;
          }
          {
            const refusal = await this.#wipeRefusal();
            if (refusal !== null) {
              label = `${label} (skipped: ${refusal})`;
              nodes = [];
              break;
            }
          }
          await this.#wipe(nodes);
          break;
      }
    } catch (error) {
      this.#notes.push(`fault ${faultIndex} (${label}) start: ${errorText(error)}`);
    }
    this.#open.set(faultIndex, { label, startMs: this.#now(), nodes });
    this.#log(`${this.#now().toFixed(0).padStart(7)} ms  start ${label}`);
  }

  async #wipe(nodes: readonly string[]): Promise<void> {
    const c = this.#cluster;
    for (const id of nodes) {
      this.#down.add(id);
      await c.killNode(id);
      await c.wipeData(id);
      this.#wiped.add(id);
    }
    for (const id of nodes) await this.#removeMember(id);
  }

  async #removeMember(id: string): Promise<void> {
    const deadline = performance.now() + WIPE_REMOVE_TIMEOUT_MS;
    let last = "";
    while (performance.now() < deadline) {
      for (const via of this.#healthy()) {
        last = await this.#cluster.admin(via, ["CLUSTER", "REMOVE", id]).catch(errorText);
        if (last === "OK" || last.startsWith(`-ERR no member '${id}'`)) return;
      }
      await delay(200);
    }
    throw new Error(
      `CLUSTER REMOVE ${id} did not succeed in ${WIPE_REMOVE_TIMEOUT_MS} ms: ${last}`,
    );
  }

  /** The leader sees every member up and every incarnation registered (docs/storage.md). */
  async #fullyHealthy(): Promise<boolean> {
    const c = this.#cluster;
    const leader = await c.findLeader();
    if (leader === null) return false;
    const info = await c.admin(leader, ["INFO", "cluster"]).catch(() => "");
    const nodes = await c.admin(leader, ["CLUSTER", "NODES"]).catch(() => "");
    const upCount = nodes.split("\n").filter((line) => / (leader|follower) up /.test(line)).length;
    return upCount === c.ids.length &&
      new RegExp(`registered_members:${c.ids.length}\\r?\\n`).test(info);
  }

  /**
   * Why a wipe now would leave the fault model, or null once it would not, asked every
   * WIPE_POLL_MS for at most WIPE_SETTLE_WAIT_MS: the procedure's step 3 (a re-joined node up
   * and registered), and no slot group still re-adding an earlier wiped node (wipe_rule.ts: such
   * a group holds its data on a bare majority, and wiping another replica would lose it).
   */
  async #wipeRefusal(): Promise<string | null> {
    const deadline = performance.now() + WIPE_SETTLE_WAIT_MS;
    let refusal: string | null = null;
    do {
      refusal = await this.#fullyHealthy()
        ? await this.#slotsRefusal()
        : "not every member up and registered";
      if (refusal === null) return null;
      await delay(WIPE_POLL_MS);
    } while (performance.now() < deadline);
    return `${refusal} for ${WIPE_SETTLE_WAIT_MS} ms`;
  }

  /** Why a wipe now would leave the fault model (wipe_rule.ts), or null. */
  async #slotsRefusal(): Promise<string | null> {
    const c = this.#cluster;
    const views = await Promise.all(c.ids.map(async (id) => ({
      id,
      text: c.isServing(id) ? await c.admin(id, ["INFO", "slots"]).catch(() => null) : null,
    })));
    return wipeRefusal(views);
  }

  #healthy(): string[] {
    return this.#cluster.ids.filter((id) => !this.#down.has(id) && this.#cluster.isServing(id));
  }

  async #stop(faultIndex: number, fault: Fault): Promise<void> {
    const c = this.#cluster;
    const open = this.#open.get(faultIndex);
    try {
      switch (fault.kind) {
        case "pause":
          for (const id of fault.nodes) c.resumeNode(id);
          break;
        case "kill":
        case "restart":
        case "wipe-minority":
          await this.#startDown();
          break;
        default:
          c.healLinks();
      }
    } catch (error) {
      this.#notes.push(`fault ${faultIndex} (${open?.label}) stop: ${errorText(error)}`);
    }
    this.#close(faultIndex);
  }

  #close(faultIndex: number): void {
    const open = this.#open.get(faultIndex);
    if (open === undefined) return;
    this.#open.delete(faultIndex);
    this.#applied.push({
      faultIndex,
      label: open.label,
      startMs: open.startMs,
      stopMs: this.#now(),
    });
    this.#log(`${this.#now().toFixed(0).padStart(7)} ms  stop  ${open.label}`);
  }

  /** Starts every node that is down: wiped ones empty with --join through a healthy node. */
  async #startDown(): Promise<void> {
    for (const id of [...this.#down]) {
      try {
        if (this.#wiped.has(id)) {
          const via = this.#healthy()[0];
          if (via === undefined) throw new Error(`no healthy node to join ${id} through`);
          // A failed join may still have added it: remove it again, start from an empty disk.
          await this.#removeMember(id);
          await this.#cluster.wipeData(id);
          await this.#cluster.startNode(id, via);
          this.#wiped.delete(id);
        } else {
          await this.#cluster.startNode(id);
        }
        this.#down.delete(id);
      } catch (error) {
        this.#notes.push(`restart of ${id} (retried at the next heal): ${errorText(error)}`);
      }
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
