import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import { hasOpenssl, makeCa, makeCert } from "../helpers/test_certificates.ts";

async function pingTls(port: number, caPem: string): Promise<string> {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(16);
    const count = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, count ?? 0));
  } finally {
    conn.close();
  }
}

Deno.test("TLS on the client port and between peers (--tls-cert, --tls-key, --tls-ca)", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    if (!await hasOpenssl()) {
      if (Deno.env.get("CI") === "true") throw new Error("CI must install openssl");
      await t.step("openssl not installed: skipped", () => {});
      return;
    }
    const plan = await planTestCluster(3);
    const ca = await makeCa(dir, "ca");
    const nodes: TestNode[] = [];
    try {
      // Each node's certificate names its node id (CN), as peer links require.
      for (const id of plan.ids) {
        const cert = await makeCert(dir, ca, id, id);
        nodes.push(
          await startTestNode(plan, id, [
            ...["--tls-cert", cert.cert, "--tls-key", cert.key, "--tls-ca", ca.cert],
          ]),
        );
      }
      const caPem = await Deno.readTextFile(`${dir}/ca.pem`);
      assert.equal(await pingTls(nodes[0]!.clientPort, caPem), "+PONG\r\n");
      await eventually("a leader elected over TLS peer links", async () => {
        const conn = await Deno.connectTls({
          hostname: "127.0.0.1",
          port: nodes[1]!.clientPort,
          caCerts: [caPem],
        });
        try {
          await conn.write(new TextEncoder().encode("CLUSTER INFO\r\n"));
          const buffer = new Uint8Array(4096);
          const count = await conn.read(buffer);
          const text = new TextDecoder().decode(buffer.subarray(0, count ?? 0));
          return /leader_id:n\d/.test(text) && /healthy_members:3/.test(text);
        } finally {
          conn.close();
        }
      }, 15_000);
      const plain = await Deno.connect({ hostname: "127.0.0.1", port: nodes[0]!.clientPort });
      await plain.write(new TextEncoder().encode("PING\r\n"));
      const buffer = new Uint8Array(16);
      const count = await plain.read(buffer).catch(() => null);
      plain.close();
      assert.notEqual(
        new TextDecoder().decode(buffer.subarray(0, count ?? 0)),
        "+PONG\r\n",
        "a plain-text client must not be served on a TLS port",
      );
    } finally {
      await stopTestCluster(nodes, plan);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
