import { KvMachine } from "../../src/kv_service/kv_machine.ts";
import type { Entry } from "../../src/raft/mod.ts";
import type { SimApp } from "./app.ts";

/**
 * One host's slot store: the production `KvMachine` of a slot group, fed with every committed
 * entry of the group (entries that are no key-value op apply as nothing, as on a node). What it
 * answers for an entry resolves the host's proposal, as the node's slot machine does, so the
 * production `KvService` runs on it unchanged.
 */
export class KvApp implements SimApp {
  /** The production machine (its image rides in the host's snapshots). */
  readonly machine: KvMachine;

  /** Restores the store from `image` (empty: a new slot); `nowMs` is the node's clock. */
  constructor(image: Uint8Array, nowMs: () => number) {
    this.machine = new KvMachine({}, nowMs);
    if (image.length > 0) this.machine.restore(image);
  }

  /** Applies a committed entry; answers the machine's result for a normal entry. */
  apply(entry: Entry): unknown {
    if (entry.kind !== "normal") {
      this.machine.skip();
      return undefined;
    }
    return this.machine.apply(entry.index, entry.data);
  }

  /** The store's snapshot bytes. */
  snapshot(): Uint8Array {
    return this.machine.snapshot();
  }
}
