import assert from "node:assert/strict";
import type { CommandCall } from "../../src/commands/command_table.ts";
import type { KvAnswer, KvRequest } from "../../src/kv/mod.ts";
import { kvCommands } from "../../src/kv_service/kv_commands.ts";
import type { KvService } from "../../src/kv_service/kv_service.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A slot leader's read uses the request's key after the ReadIndex barrier, while the connection
 * already decodes the next pipelined command into the same read buffer: KV.SHARE must not keep
 * views into it (the rebalance test read GET "$6\r", part of a pipelined CLUSTER GROUPS).
 */
Deno.test("KV.SHARE: the request it runs survives the read buffer being reused", async () => {
  const seen: KvRequest[] = [];
  let release: (answer: KvAnswer) => void = () => {};
  const service = {
    run(_slot: number, request: KvRequest): Promise<KvAnswer> {
      seen.push(request);
      return new Promise((resolve) => (release = resolve));
    },
  } as unknown as KvService;
  const share = kvCommands({
    service,
    valueBytesMax: 1024,
    slotCount: () => 16,
    slotOfGroup: () => 7,
    callBytes: () => Promise.reject(new Error("not used")),
  }).find((spec) => spec.name === "kv.share")!;
  // The arguments as the decoder hands them over: views into one read buffer.
  const buffer = encoder.encode("KV.SHAREGETk:7");
  const args = [buffer.subarray(0, 8), buffer.subarray(8, 11), buffer.subarray(11, 14)];
  const call = { args, target: { groupId: 1007, parkedWaitId: 0 } } as unknown as CommandCall;
  const reply = share.handler!(call);
  // The connection reads the next command into the buffer while the read waits for its barrier.
  buffer.set(encoder.encode("*2\r\n$7\r\nCLUSTE"));
  release({ kind: "nil" });
  await reply;
  assert.equal(seen.length, 1);
  const request = seen[0]!;
  assert.equal(request.command, "get");
  assert.equal(decoder.decode((request as { key: Uint8Array }).key), "k:7");
});
