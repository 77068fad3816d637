import assert from "node:assert/strict";
import { natsVersion } from "../../bench/load/nats_cluster.ts";
import { startNatsQueueSide } from "../../bench/load/queue_sides.ts";

const NATS_MISSING = await natsVersion() === null;

Deno.test({
  name: "NATS side: one server runs JetStream alone with an R1 stream (pushes taken and acked)",
  ignore: NATS_MISSING,
  async fn() {
    const side = await startNatsQueueSide(
      { serverCount: 1, replicas: 1, sync: "default", ackMode: "awaited" },
      "NATS 1 server R1",
    );
    try {
      assert.equal(side.pids.length, 1);
      const client = await side.open(0);
      try {
        for (let i = 0; i < 5; i++) await client.push(new Uint8Array(256));
        assert.equal(await client.popAck(32), 5);
        assert.equal(await client.popAck(32), 0);
      } finally {
        await client.close();
      }
    } finally {
      await side.stop();
    }
  },
});
