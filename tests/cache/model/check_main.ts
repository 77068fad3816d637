/**
 * `deno task check:cache [--states N]`: explores the bigger configurations of the cache protocol
 * (LARGE_CONFIGS) and prints states, steps and time, or the first counterexample's trace.
 * @module
 */
import { LARGE_CONFIGS } from "./configs.ts";
import { explore } from "./explore.ts";
import { mesiModel } from "./mesi_model.ts";

const flag = Deno.args.indexOf("--states");
const statesMax = flag >= 0 ? Number(Deno.args[flag + 1]) : 5_000_000;
let failed = false;
for (const { name, config } of LARGE_CONFIGS) {
  const result = explore(mesiModel(config), statesMax);
  console.log(
    `${name}: ${result.states} states, ${result.transitions} steps, depth ${result.depthMax}, ` +
      `${result.elapsedMs} ms${result.truncated ? " (TRUNCATED)" : ""}`,
  );
  if (result.violation !== null) {
    failed = true;
    console.log(`${result.violation.message}\n  ${result.violation.trace.join("\n  ")}`);
  }
}
if (failed) Deno.exit(1);
