import type { CommandCall, CommandSpec, CommandTable } from "./command_table.ts";
import { lowerAscii } from "./command_table.ts";
import type { RespWriter } from "../../protocol/resp/mod.ts";

/** COMMAND [COUNT | LIST | INFO name... | DOCS name...], enough for redis-cli and libraries. */
export function commandIntrospection(table: () => CommandTable): CommandSpec[] {
  const all = (call: CommandCall) => writeInfos(call.out, table().specs());
  const count = (call: CommandCall) => call.out.integer(table().specs().length);
  const list = (call: CommandCall) => {
    const specs = table().specs();
    call.out.arrayHeader(specs.length);
    for (const spec of specs) call.out.bulk(spec.name);
  };
  const info = (call: CommandCall) => {
    const specs = table().specs();
    const names = call.args.slice(2).map(lowerAscii);
    call.out.arrayHeader(names.length);
    for (const name of names) {
      const spec = specs.find((candidate) => candidate.name === name);
      if (spec === undefined) call.out.nullArray(call.session.protocol);
      else writeInfo(call.out, spec, spec.name);
    }
  };
  const docs = (call: CommandCall) => {
    const names = call.args.slice(2).map(lowerAscii);
    const specs = table().specs().filter((spec) => names.length === 0 || names.includes(spec.name));
    writeDocs(call, specs);
  };
  return [{
    name: "command",
    categories: ["connection"],
    arity: -1,
    flags: ["stale"],
    summary: "Command introspection",
    handler: (call) => {
      if (call.args.length === 1) return all(call);
      const sub = lowerAscii(call.args[1]!);
      const handler = { count, list, info, docs }[sub];
      if (handler === undefined) {
        return call.out.error(`ERR unknown subcommand '${sub}'. Try COMMAND HELP.`);
      }
      handler(call);
    },
  }];
}

function writeInfos(out: RespWriter, specs: CommandSpec[]): void {
  out.arrayHeader(specs.length);
  for (const spec of specs) writeInfo(out, spec, spec.name);
}

/** The 10-element COMMAND INFO shape of redis 7. */
function writeInfo(out: RespWriter, spec: CommandSpec, name: string): void {
  out.arrayHeader(10);
  out.bulk(name);
  out.integer(spec.arity);
  out.arrayHeader(spec.flags.length);
  for (const flag of spec.flags) out.simple(flag);
  out.integer(spec.firstKey ?? 0);
  out.integer(spec.lastKey ?? 0);
  out.integer(spec.keyStep ?? 0);
  out.arrayHeader(0); // ACL categories
  out.arrayHeader(0); // tips
  out.arrayHeader(0); // key specs
  const subs = spec.subcommands ?? [];
  out.arrayHeader(subs.length);
  for (const sub of subs) writeInfo(out, sub, `${name}|${sub.name}`);
}

function writeDocs(call: CommandCall, specs: CommandSpec[]): void {
  const { out } = call;
  const version = call.session.protocol;
  out.mapHeader(specs.length, version);
  for (const spec of specs) {
    out.bulk(spec.name);
    out.mapHeader(3, version);
    out.bulk("summary");
    out.bulk(spec.summary);
    out.bulk("since");
    out.bulk("0.1.0");
    out.bulk("group");
    out.bulk(spec.name.includes(".") ? spec.name.split(".")[0]! : "server");
  }
}
