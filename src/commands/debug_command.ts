import type { CommandCall, CommandSpec, ReplyFn } from "./command_table.ts";
import { okWhenDone } from "./replies.ts";

/**
 * DEBUG PROPOSE payload: commits a no-op entry through the meta group and answers +OK once it
 * is applied (fsync'd on a majority). The commit-path benchmark's entry point; not part of the
 * client contract.
 */
function debugPropose(call: CommandCall): Promise<ReplyFn> {
  const payload = call.args[2]!.slice();
  const services = call.services;
  return services.onLeader(call, () => okWhenDone(services.proposeNoop(payload)));
}

/** DEBUG subcommands (benchmarks and diagnostics only). */
export const DEBUG_COMMANDS: readonly CommandSpec[] = [{
  name: "debug",
  arity: -2,
  flags: ["admin"],
  summary: "Diagnostics and benchmark entry points",
  subcommands: [{
    name: "propose",
    arity: 3,
    flags: ["admin", "write"],
    summary: "Commit a no-op entry through the meta group",
    handler: debugPropose,
  }],
}];
