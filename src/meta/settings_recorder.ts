import type { Logger } from "../log/logger.ts";
import type { RaftStatus } from "../raft/mod.ts";
import {
  type ClusterSetting,
  type ClusterSettingsMachine,
  encodeSettingEntry,
} from "./cluster_settings.ts";

/**
 * This node's view of the cluster settings: the value recorded in the meta group, else its own
 * configured one (until the first leader records it). As leader it records every configured
 * setting the cluster lacks; a node configured otherwise than the record warns once and uses
 * the record.
 */
export class SettingsRecorder {
  readonly #machine: ClusterSettingsMachine;
  readonly #configured: ReadonlyMap<string, number>;
  readonly #propose: (entry: Uint8Array) => Promise<unknown>;
  readonly #logger: Logger;
  readonly #inFlight = new Set<string>();
  readonly #warned = new Set<string>();

  constructor(
    machine: ClusterSettingsMachine,
    configured: readonly ClusterSetting[],
    propose: (entry: Uint8Array) => Promise<unknown>,
    logger: Logger,
  ) {
    this.#machine = machine;
    this.#configured = new Map(configured.map((setting) => [setting.name, setting.value]));
    this.#propose = propose;
    this.#logger = logger;
  }

  /** The cluster's value of `name`: recorded, else this node's configured one. */
  value(name: string): number {
    const recorded = this.#machine.get(name);
    if (recorded !== undefined) return recorded;
    const configured = this.#configured.get(name);
    if (configured === undefined) throw new RangeError(`No cluster setting named ${name}`);
    return configured;
  }

  /** After each apply: warns about a mismatch once; the leader records missing settings. */
  afterApply(status: RaftStatus): void {
    for (const [name, configured] of this.#configured) {
      const recorded = this.#machine.get(name);
      if (recorded !== undefined) {
        if (recorded !== configured && !this.#warned.has(name)) {
          this.#warned.add(name);
          this.#logger.warn("a setting differs from the cluster's; using the cluster's", {
            setting: name,
            configured,
            cluster: recorded,
          });
        }
        continue;
      }
      if (status.role !== "leader" || this.#inFlight.has(name)) continue;
      this.#inFlight.add(name);
      this.#propose(encodeSettingEntry({ name, value: configured }))
        .then(() => this.#logger.info("cluster setting recorded", { setting: name, configured }))
        .catch((error) => this.#logger.debug("setting not recorded yet", { error: String(error) }))
        .finally(() => this.#inFlight.delete(name));
    }
  }
}
