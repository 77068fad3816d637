import assert from "node:assert/strict";
import { dsyncInvocation, pingNode } from "../../src/cluster/node_process.ts";
import { freePortRange } from "../../src/util/free_ports.ts";
import { eventually } from "../helpers/node_harness.ts";

function runCluster(args: string[]) {
  const invocation = dsyncInvocation(["cluster", ...args]);
  const child = new Deno.Command(invocation.command, {
    args: invocation.args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) output.push(text);
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return { child, output, pumped };
}

Deno.test("dsync cluster starts 3 nodes, prints their addresses, stops them all on SIGINT", async () => {
  const base = freePortRange(3, [0, 100]);
  const data = await Deno.makeTempDir();
  const { child, output, pumped } = runCluster([
    "--nodes",
    "3",
    "--base-port",
    String(base),
    "--data",
    data,
  ]);
  try {
    await eventually("the address table", () => output.join("").includes("Cluster up"), 30_000);
    const text = output.join("");
    for (let i = 0; i < 3; i++) {
      assert.ok(text.includes(`127.0.0.1:${base + i}`), `table lacks client port ${base + i}`);
      assert.ok(await pingNode("127.0.0.1", base + i, 1_000), `node ${i + 1} answers PING`);
    }
    assert.match(text, /\[n1\] .*node started/);
    child.kill("SIGINT");
    const status = await child.status;
    assert.equal(status.code, 0);
    for (let i = 0; i < 3; i++) {
      assert.equal(await pingNode("127.0.0.1", base + i, 500), false, `node ${i + 1} stopped`);
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await pumped;
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});

Deno.test("dsync cluster stops every node and says why when one cannot start", async () => {
  const base = freePortRange(2, [0, 100]);
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: base + 1 });
  const data = await Deno.makeTempDir();
  const { child, output, pumped } = runCluster([
    "--nodes",
    "2",
    "--base-port",
    String(base),
    "--data",
    data,
  ]);
  try {
    const status = await child.status;
    await pumped;
    assert.equal(status.code, 1);
    const text = output.join("");
    assert.match(text, /node n2 exited during start/);
    assert.match(text, /stopped every node/);
    assert.equal(await pingNode("127.0.0.1", base, 500), false, "n1 was stopped too");
  } finally {
    blocker.close();
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
