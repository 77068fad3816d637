/**
 * The sequential model of one key of the key-value store as a register: its value or nil. `SET`
 * writes a value, `DEL` writes nil (answering how many keys it removed), `GET` reads. Keys are
 * independent, so the check is partitioned by key.
 */
import type { Model, Outcome } from "./model.ts";

/** One key-value command on one key. */
export type KvInput =
  | { readonly kind: "get"; readonly key: string }
  | { readonly kind: "set"; readonly key: string; readonly value: string }
  | { readonly kind: "del"; readonly key: string };

/** A reply: `GET` a value or null, `SET` "OK", `DEL` the count removed (0 or 1). */
export type KvOutput = string | number | null;

/** The value of one key, null when it does not exist. */
export type KvState = string | null;

function describeValue(value: KvOutput): string {
  return value === null ? "nil" : JSON.stringify(value);
}

/** The register model per key. */
export const KV_MODEL: Model<KvState, KvInput, KvOutput> = {
  name: "kv register",
  init: () => null,
  step(state, input, outcome) {
    const known = outcome.kind === "ok";
    switch (input.kind) {
      case "get":
        if (!known) return [state];
        return outcome.output === state ? [state] : [];
      case "set":
        if (known && outcome.output !== "OK") return [];
        return [input.value];
      case "del":
        if (known && outcome.output !== (state === null ? 0 : 1)) return [];
        return [null];
    }
  },
  stateKey: (state) => (state === null ? "nil" : `=${state}`),
  partitionKey: (input) => input.key,
  describeOperation(input: KvInput, outcome: Outcome<KvOutput>) {
    const result = outcome.kind === "ok" ? describeValue(outcome.output) : "?";
    const value = input.kind === "set" ? ` ${JSON.stringify(input.value)}` : "";
    return `${input.kind} ${input.key}${value} -> ${result}`;
  },
  describeState: (state) => `value ${describeValue(state)}`,
  explainRejection(state, input, outcome) {
    if (outcome.kind !== "ok") return "unknown outcome that cannot apply here";
    switch (input.kind) {
      case "get":
        return `read ${describeValue(outcome.output)}, but the value is ${describeValue(state)}`;
      case "set":
        return `SET answers OK, not ${describeValue(outcome.output)}`;
      case "del":
        return `DEL answered ${describeValue(outcome.output)}, but the value is ` +
          describeValue(state);
    }
  },
};
