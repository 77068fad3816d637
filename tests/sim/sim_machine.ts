import type { ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import type { Entry, NodeId } from "../../src/raft/mod.ts";
import { joinImage, type SimApp, type SimAppFactory, splitImage } from "./app.ts";
import { type InvariantChecker, InvariantError } from "./invariants.ts";
import { decodeImage, encodeImage, entryText, type SimStateMachine } from "./state_machine.ts";

/** What a replica's state machine checks against. */
export interface MachineContext {
  /** The group's safety checker. */
  checker: InvariantChecker;
  /** Throws unless `entry`, about to be applied first anywhere, is durable on a majority. */
  checkCommitDurable(id: NodeId, entry: Entry): void;
  /** Records a failed check (the host would only log what apply throws). */
  fail(error: unknown): void;
}

/** Settings of the simulated state machine. */
export interface MachineOptions {
  /** Keep applied payloads for inspection. */
  recordValues: boolean;
  /** Filler bytes in snapshot images. */
  snapshotPaddingBytes: number;
  /** Replicated application whose image rides in snapshots, or null. */
  app: SimAppFactory | null;
}

const NO_DATA = new Uint8Array(0);

/**
 * The state machine the production `RaftHost` drives on a simulated node: a hash of everything
 * applied (checked across nodes at every index), optionally an application (the lock table), and
 * the apply-time checks: log order, state machine safety, commit durability, snapshot safety.
 * `apply` returns the app's answer (the entry's index when it has none): it resolves the proposal.
 */
export class SimMachine implements ReplicatedStateMachine<unknown> {
  /** The hash state machine of this incarnation. */
  sm: SimStateMachine = { index: 0, hash: 0, values: null };
  /** The application of this incarnation, or null. */
  app: SimApp | null = null;
  /**
   * Term of an entry in this node's log store (set once the log is open). The host applies a
   * Ready's entries after persisting it, so the core may have moved on meanwhile (a snapshot,
   * a new leader); the store holds exactly what the host wrote up to this Ready.
   */
  termAt: (index: number) => number | undefined = () => undefined;
  readonly #id: NodeId;
  readonly #ctx: MachineContext;
  readonly #options: MachineOptions;

  /** A machine for node `id`, empty until the host restores it. */
  constructor(id: NodeId, ctx: MachineContext, options: MachineOptions) {
    this.#id = id;
    this.#ctx = ctx;
    this.#options = options;
  }

  apply(index: number, data: Uint8Array): unknown {
    let result: unknown;
    this.#guard(() => result = this.#applyEntry(index, "normal", data));
    return result === undefined ? index : result;
  }

  skip(index: number): void {
    this.#guard(() => this.#applyEntry(index, "noop", NO_DATA));
  }

  snapshot(): Uint8Array {
    const image = encodeImage(this.sm, this.#options.snapshotPaddingBytes);
    return this.app === null ? image : joinImage(image, this.app.snapshot());
  }

  restore(data: Uint8Array): void {
    this.#guard(() => {
      const { base, app } = this.#options.app === null
        ? { base: data, app: NO_DATA }
        : splitImage(data);
      const image = decodeImage(base);
      this.app = this.#options.app?.create(this.#id, image.index, app) ?? null;
      if (image.index > 0) this.#ctx.checker.onSnapshotRestore(this.#id, image.index, image.hash);
      const values = this.#options.recordValues && image.index === 0 ? [] : null;
      this.sm = { index: image.index, hash: image.hash, values };
    });
  }

  #applyEntry(index: number, kind: "normal" | "noop", data: Uint8Array): unknown {
    const term = this.termAt(index);
    if (term === undefined) {
      throw new InvariantError("apply order", `${this.#id} applies ${index}, not in its log`);
    }
    if (index !== this.sm.index + 1) {
      throw new InvariantError(
        "apply order",
        `${this.#id} applied ${index} after ${this.sm.index}`,
      );
    }
    const entry: Entry = { index, term, kind, data };
    const checker = this.#ctx.checker;
    if (index > checker.maxAppliedIndex) this.#ctx.checkCommitDurable(this.#id, entry);
    this.sm.hash = checker.onApply(this.#id, entry, this.sm.hash);
    this.sm.index = index;
    if (kind === "normal") this.sm.values?.push(entryText(entry));
    return this.app?.apply(entry);
  }

  #guard(body: () => void): void {
    try {
      body();
    } catch (error) {
      this.#ctx.fail(error);
      throw error;
    }
  }
}
