import type { CommandCall, CommandSpec, ReplyFn } from "./command_table.ts";
import { errorReply, okWhenDone } from "./replies.ts";
import {
  COMMITTED_ENTRIES_COUNT_MAX,
  DEBUG_PAYLOAD_BYTES_MAX,
  lengthProblem,
} from "./argument_limits.ts";

const textDecoder = new TextDecoder();

/**
 * DEBUG PROPOSE payload [GROUP id]: commits a no-op entry through the meta group (forwarded to
 * its leader) and answers +OK once it is applied (fsync'd on a majority). With GROUP, into that
 * group hosted on this node, which must lead it (`-TRYAGAIN` names the leader; not forwarded).
 * The commit-path benchmark's entry point; not part of the client contract.
 */
function debugPropose(call: CommandCall): void | Promise<ReplyFn> {
  const problem = lengthProblem(call.args[2]!, "DEBUG PROPOSE payload", DEBUG_PAYLOAD_BYTES_MAX);
  if (problem !== null) return call.out.error(problem);
  const payload = call.args[2]!.slice();
  const services = call.services;
  if (call.args.length === 3) return okWhenDone(services.proposeNoop(payload));
  const option = textDecoder.decode(call.args[3]!).toUpperCase();
  const groupId = call.args.length === 5 ? integerIn(call.args[4]!, 0, 0xffff_ffff) : null;
  if (option !== "GROUP" || groupId === null) {
    return call.out.error(
      "ERR syntax error: DEBUG PROPOSE payload [GROUP id], id in 0..4294967295",
    );
  }
  return okWhenDone(services.proposeNoopInGroup(groupId, payload));
}

/** A decimal integer argument in `min..max`, or null. */
function integerIn(arg: Uint8Array, min: number, max: number): number | null {
  if (arg.length === 0 || arg.length > 16) return null;
  const text = textDecoder.decode(arg);
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : null;
}

/**
 * DEBUG ENTRIES from-index count: this node's committed meta log entries, each
 * `[index, term, kind, op, detail]` (see CommittedEntryView). Answered locally, never forwarded:
 * tests compare what each node committed.
 */
function debugEntries(call: CommandCall): void | Promise<ReplyFn> {
  const fromIndex = integerIn(call.args[2]!, 1, Number.MAX_SAFE_INTEGER);
  if (fromIndex === null) {
    return call.out.error(`ERR from-index must be between 1 and ${Number.MAX_SAFE_INTEGER}`);
  }
  const countMax = integerIn(call.args[3]!, 1, COMMITTED_ENTRIES_COUNT_MAX);
  if (countMax === null) {
    return call.out.error(`ERR count must be between 1 and ${COMMITTED_ENTRIES_COUNT_MAX}`);
  }
  return call.services.committedEntries(fromIndex, countMax).then((entries): ReplyFn => (out) => {
    out.arrayHeader(entries.length);
    for (const entry of entries) {
      out.arrayHeader(5);
      out.integer(entry.index);
      out.integer(entry.term);
      out.bulk(entry.kind);
      out.bulk(entry.op);
      out.bulk(entry.detail);
    }
  }, errorReply);
}

/** DEBUG subcommands (benchmarks and diagnostics only). */
export const DEBUG_COMMANDS: readonly CommandSpec[] = [{
  name: "debug",
  arity: -2,
  flags: ["admin"],
  summary: "Diagnostics and benchmark entry points",
  subcommands: [{
    name: "propose",
    arity: -3,
    flags: ["admin", "write"],
    summary: "Commit a no-op entry through the meta group",
    // Without GROUP: the meta group's leader. With GROUP: here, which must lead that group.
    route: (args) => args.length === 3 ? "meta" : "local",
    handler: debugPropose,
  }, {
    name: "entries",
    arity: 4,
    flags: ["admin", "readonly", "stale"],
    summary: "This node's committed meta log entries: [index, term, kind, op, detail]",
    handler: debugEntries,
  }],
}];
