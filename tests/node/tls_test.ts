import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
} from "../helpers/node_harness.ts";

/** Makes a CA and a certificate for 127.0.0.1 signed by it, with openssl; null if missing. */
async function makeCertificates(dir: string): Promise<boolean> {
  const run = async (...args: string[]) => {
    const result = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stderr: "null",
      stdout: "null",
    })
      .output();
    if (!result.success) throw new Error(`openssl ${args.join(" ")} failed`);
  };
  try {
    await run(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=dsync-test-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    );
    await run(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "node.key",
      "-out",
      "node.csr",
    );
    await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    await run(
      "x509",
      "-req",
      "-in",
      "node.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      "san.ext",
      "-out",
      "node.pem",
    );
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

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
    if (!await makeCertificates(dir)) {
      if (Deno.env.get("CI") === "true") throw new Error("CI must install openssl");
      await t.step("openssl not installed: skipped", () => {});
      return;
    }
    const plan = await planTestCluster(3);
    const nodes = await startTestCluster(plan, [
      ...["--tls-cert", `${dir}/node.pem`, "--tls-key", `${dir}/node.key`],
      ...["--tls-ca", `${dir}/ca.pem`],
    ]).catch((error) => {
      throw new Error(`TLS cluster did not start: ${error}`);
    });
    try {
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
