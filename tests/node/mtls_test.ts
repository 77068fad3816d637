import assert from "node:assert/strict";
import tls from "node:tls";
import {
  createHandshake,
  encodeFrame,
  FrameDecoder,
  type PeerMessage,
} from "../../protocol/peer/mod.ts";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import { type CertFiles, hasOpenssl, makeCa, makeCert } from "../helpers/test_certificates.ts";

const TEST_TIMEOUT_MS = 5_000;

/**
 * Connects to a peer port over TLS presenting `client` (or no certificate), sends a Handshake
 * claiming `claimedId`, and tells what came back: "accept", "reject: <message>" or
 * "closed: <error>" (the TLS handshake or the connection was refused).
 */
async function tryPeer(
  port: number,
  caPem: string,
  client: CertFiles | null,
  claimedId: string,
): Promise<string> {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    ca: caPem,
    cert: client === null ? undefined : await Deno.readTextFile(client.cert),
    key: client === null ? undefined : await Deno.readTextFile(client.key),
    checkServerIdentity: () => undefined,
  });
  return await new Promise<string>((resolve) => {
    const timer = setTimeout(() => finish("timeout"), TEST_TIMEOUT_MS);
    const decoder = new FrameDecoder({});
    let error = "";
    function finish(outcome: string) {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    }
    socket.on("secureConnect", () => {
      socket.write(encodeFrame(createHandshake({
        clusterId: "ignored-by-tls-check",
        nodeId: claimedId,
        peerAddress: "127.0.0.1:1",
        clientAddress: "127.0.0.1:2",
        incarnationId: "00".repeat(16),
      })));
    });
    socket.on("data", (chunk: Uint8Array) => {
      decoder.push(chunk);
      const message: PeerMessage | undefined = decoder.next();
      if (message?.type === "handshakeAccept") finish("accept");
      else if (message?.type === "handshakeReject") finish(`reject: ${message.message}`);
    });
    socket.on("error", (e: Error) => error = e.message);
    socket.on("close", () => finish(`closed: ${error}`));
  });
}

/** Sends one RESP command over TLS presenting `client`; the reply text or "closed: <error>". */
async function tlsCommand(
  port: number,
  caPem: string,
  client: CertFiles | null,
  command: string,
): Promise<string> {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    ca: caPem,
    cert: client === null ? undefined : await Deno.readTextFile(client.cert),
    key: client === null ? undefined : await Deno.readTextFile(client.key),
  });
  return await new Promise<string>((resolve) => {
    const timer = setTimeout(() => finish("timeout"), TEST_TIMEOUT_MS);
    let error = "";
    function finish(outcome: string) {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    }
    socket.on("secureConnect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk: Uint8Array) => finish(new TextDecoder().decode(chunk)));
    socket.on("error", (e: Error) => error = e.message);
    socket.on("close", () => finish(`closed: ${error}`));
  });
}

/** Lines of `node` logged since `from` that contain every one of `parts`. */
function linesSince(node: TestNode, from: number, ...parts: string[]): string[] {
  return node.lines.slice(from).filter((line) => parts.every((part) => line.includes(part)));
}

async function run(command: string, args: string[], stdin = ""): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const timer = setTimeout(() => child.kill("SIGKILL"), TEST_TIMEOUT_MS);
  const output = await child.output();
  clearTimeout(timer);
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return decode(output.stdout) + decode(output.stderr);
}

Deno.test("mutual TLS: peers and clients need a certificate from the CA naming who they are", async (t) => {
  if (!await hasOpenssl()) {
    if (Deno.env.get("CI") === "true") throw new Error("CI must install openssl");
    return;
  }
  const dir = await Deno.makeTempDir();
  const plan = await planTestCluster(3);
  const nodes: TestNode[] = [];
  try {
    const ca = await makeCa(dir, "ca");
    const otherCa = await makeCa(dir, "other-ca");
    const certs = new Map<string, CertFiles>();
    for (const id of plan.ids) certs.set(id, await makeCert(dir, ca, id, id));
    const foreign = await makeCert(dir, otherCa, "foreign-n2", "n2");
    const expired = await makeCert(dir, ca, "expired-n2", "n2", { expired: true });
    const client = await makeCert(dir, ca, "client", "some-client");
    const caPem = await Deno.readTextFile(ca.cert);
    for (const id of plan.ids) {
      nodes.push(
        await startTestNode(plan, id, [
          ...["--tls-cert", certs.get(id)!.cert, "--tls-key", certs.get(id)!.key],
          ...["--tls-ca", ca.cert, "--tls-client-auth"],
        ]),
      );
    }
    const [n1, _n2, n3] = nodes as [TestNode, TestNode, TestNode];

    await t.step("the cluster forms over mutual TLS and grants a lock", async () => {
      await eventually("a leader and 3 healthy members", async () => {
        const info = await tlsCommand(n1.clientPort, caPem, client, "CLUSTER INFO");
        return /leader_id:n\d/.test(info) && /healthy_members:3/.test(info);
      }, 20_000);
      let reply = "";
      await eventually("LOCK.ACQUIRE granted", async () => {
        reply = await tlsCommand(n1.clientPort, caPem, client, "LOCK.ACQUIRE tls-lock owner-1");
        return reply.startsWith(":");
      }, 10_000);
      assert.match(reply, /^:\d+\r\n$/);
    });

    // n3 accepts the links of n1 and n2 (the smaller id dials): attack its peer port.
    const attacks: [string, CertFiles | null, string, RegExp][] = [
      ["no certificate", null, "n2", /reason="no client certificate"/],
      ["a certificate from another CA", foreign, "n2", /not signed by the CA/],
      ["an expired certificate", expired, "n2", /certificate of 'n2' expired at/],
    ];
    for (const [what, cert, claim, logPattern] of attacks) {
      await t.step(
        `a peer with ${what} is refused in the TLS handshake, with a log line`,
        async () => {
          const from = n3.lines.length;
          const outcome = await tryPeer(n3.peerPort, caPem, cert, claim);
          assert.match(outcome, /^closed/, `${what}: ${outcome}`);
          await eventually(`n3 logs the refusal of ${what}`, () => {
            const refused = linesSince(n3, from, "refused peer TLS connection");
            return refused.some((line) => logPattern.test(line));
          }, TEST_TIMEOUT_MS);
        },
      );
    }

    await t.step("a valid certificate naming n1 cannot claim n2 in the handshake", async () => {
      const from = n3.lines.length;
      const outcome = await tryPeer(n3.peerPort, caPem, certs.get("n1")!, "n2");
      assert.match(outcome, /^reject: certificate names node 'n1' but the handshake claims 'n2'/);
      await eventually(
        "n3 logs the identity refusal",
        () =>
          linesSince(n3, from, "refused peer handshake", "certificate names node 'n1'").length ===
            1,
        TEST_TIMEOUT_MS,
      );
    });

    await t.step("openssl s_client without a certificate cannot use the peer port", async () => {
      const from = n3.lines.length;
      const output = await run("openssl", [
        ...["s_client", "-connect", `127.0.0.1:${n3.peerPort}`, "-CAfile", ca.cert],
      ], "hello\n");
      // TLS 1.3: s_client finishes its side of the handshake before the server has checked the
      // client's certificate; the server then closes the connection without reading from it.
      assert.match(output, /CONNECTED/, output.slice(-400));
      await eventually(
        "n3 logs the refusal",
        () =>
          linesSince(n3, from, "refused peer TLS connection", "no client certificate").length > 0,
        TEST_TIMEOUT_MS,
      );
    });

    await t.step("the client port requires a client certificate (--tls-client-auth)", async () => {
      assert.equal(await tlsCommand(n1.clientPort, caPem, client, "PING"), "+PONG\r\n");
      assert.match(await tlsCommand(n1.clientPort, caPem, null, "PING"), /^closed/);
      assert.match(await tlsCommand(n1.clientPort, caPem, expired, "PING"), /^closed/);
    });

    await t.step(
      "redis-cli --tls with a client certificate works; without one it fails",
      async () => {
        const hasRedisCli = await run("redis-cli", ["--version"]).then(() => true, () => false);
        if (!hasRedisCli) return;
        const base = ["--tls", "--cacert", ca.cert, "-h", "127.0.0.1", "-p", `${n1.clientPort}`];
        assert.equal(
          (await run("redis-cli", [...base, "--cert", client.cert, "--key", client.key, "PING"]))
            .trim(),
          "PONG",
        );
        assert.doesNotMatch(await run("redis-cli", [...base, "PING"]), /^PONG/);
      },
    );
  } finally {
    await stopTestCluster(nodes, plan);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("mutual TLS: a dialer refuses an acceptor whose certificate names another node", async () => {
  if (!await hasOpenssl()) {
    if (Deno.env.get("CI") === "true") throw new Error("CI must install openssl");
    return;
  }
  const dir = await Deno.makeTempDir();
  const plan = await planTestCluster(2);
  const nodes: TestNode[] = [];
  let impostor: tls.Server | null = null;
  try {
    const ca = await makeCa(dir, "ca");
    const n1 = await makeCert(dir, ca, "n1", "n1");
    // Listens on n2's peer port with a valid certificate of the CA that names n3.
    const wrong = await makeCert(dir, ca, "n3", "n3");
    impostor = tls.createServer({
      cert: await Deno.readTextFile(wrong.cert),
      key: await Deno.readTextFile(wrong.key),
      ca: await Deno.readTextFile(ca.cert),
      requestCert: true,
    }, (socket) => socket.destroy());
    impostor.on("tlsClientError", () => {});
    await new Promise<void>((resolve) =>
      impostor!.listen(plan.peerPorts.get("n2")!, "127.0.0.1", resolve)
    );
    nodes.push(
      await startTestNode(plan, "n1", [
        ...["--tls-cert", n1.cert, "--tls-key", n1.key, "--tls-ca", ca.cert],
      ]),
    );
    await eventually(
      "n1 logs that n2's address answered with n3's certificate",
      () =>
        linesSince(nodes[0]!, 0, "peer TLS handshake failed", "names node 'n3', expected 'n2'")
          .length > 0,
      10_000,
    );
    assert.equal(linesSince(nodes[0]!, 0, "peer up").length, 0);
  } finally {
    impostor?.close();
    await stopTestCluster(nodes, plan);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
