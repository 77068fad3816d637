import assert from "node:assert/strict";
import { planTestCluster, startTestNode, stopTestCluster } from "../helpers/node_harness.ts";
import { RawClient } from "../helpers/raw_client.ts";

const OUTPUT_MAX_BYTES = 1024 * 1024;
/** The sender gives up after this many bytes; far more than the node may buffer. */
const SEND_BYTES_MAX = 256 * 1024 * 1024;

/** Resident set size of a process, from `ps` (kilobytes → bytes). */
async function rssBytes(pid: number): Promise<number> {
  const output = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  const kilobytes = Number(new TextDecoder().decode(output.stdout).trim());
  if (!Number.isFinite(kilobytes) || kilobytes <= 0) throw new Error(`no RSS for pid ${pid}`);
  return kilobytes * 1024;
}

Deno.test("a client that sends and never reads is disconnected; node memory stays bounded", async () => {
  const plan = await planTestCluster(1);
  const node = await startTestNode(plan, "n1", [
    "--client-output-max-bytes",
    String(OUTPUT_MAX_BYTES),
  ]);
  try {
    const rssBefore = await rssBytes(node.process.pid);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: node.clientPort });
    const chunk = new TextEncoder().encode("PING\r\n".repeat(10_000));
    let sentBytes = 0;
    let disconnected = false;
    while (sentBytes < SEND_BYTES_MAX) {
      try {
        sentBytes += await conn.write(chunk);
      } catch {
        disconnected = true;
        break;
      }
    }
    try {
      conn.close();
    } catch {
      // closed by the node
    }
    assert.ok(disconnected, `node still accepted input after ${sentBytes} bytes were sent`);
    const rssGrowthBytes = await rssBytes(node.process.pid) - rssBefore;
    assert.ok(
      rssGrowthBytes < 64 * 1024 * 1024,
      `node RSS grew by ${rssGrowthBytes} bytes for a ${OUTPUT_MAX_BYTES}-byte output limit`,
    );
    const probe = await RawClient.connect(node.clientPort);
    await probe.send("INFO stats\r\n");
    const stats = await probe.readBytes(600, 2_000);
    probe.close();
    assert.match(stats, /client_output_limit_disconnections:1\r\n/);
    assert.ok(
      node.lines.some((line) => line.includes("client dropped: output buffer limit")),
      "the disconnect is logged",
    );
  } finally {
    await stopTestCluster([node], plan);
  }
});
