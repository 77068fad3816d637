import { Command } from "commander";
import type { DsyncClient } from "../client/mod.ts";
import { clientFromOptions, msOption, reportFailure, withClientOptions } from "./client_options.ts";
import { EXIT_NOT_ACQUIRED } from "./lock_command.ts";
import { queueWork } from "./queue_work.ts";
import { envOption } from "./env_option.ts";

type Raw = Record<string, string | undefined>;
const MS_MAX = 24 * 3600 * 1000;
const encoder = new TextEncoder();

/** `dsync queue push|pop|ack|stats|work`: the queue commands from a shell. */
export function queueCommand(): Command {
  return new Command("queue")
    .description("Push, pop, ack and inspect queue messages; run a worker command per message")
    .addCommand(
      withClientOptions(
        new Command("push")
          .description("Push PAYLOAD; prints the message id")
          .argument("<queue>")
          .argument("<payload>")
          .addOption(envOption("--key <key>", "messages with the same key keep their order")),
      ).action((queue: string, payload: string, raw: Raw) =>
        run(raw, async (client) => {
          const options = raw.key === undefined ? {} : { key: raw.key };
          console.log(await client.queue.push(queue, payload, options));
          return 0;
        })
      ),
    )
    .addCommand(
      withClientOptions(
        new Command("pop")
          .description(
            "Pop one message: prints `ID DELIVERY-COUNT`, then the payload; exit 75 if none came",
          )
          .argument("<queue>")
          .addOption(envOption("--wait <ms>", "wait this long for a message").default("0"))
          .addOption(envOption("--visibility <ms>", "invisible this long unless acked")),
      ).action((queue: string, raw: Raw) =>
        run(raw, async (client) => {
          const waitMs = msOption(raw.wait, "--wait", 0, MS_MAX)!;
          const visibilityMs = msOption(raw.visibility, "--visibility", 1, MS_MAX);
          const [message] = await client.queue.pop(queue, {
            waitMs,
            count: 1,
            ...(visibilityMs === undefined ? {} : { visibilityMs }),
          });
          if (message === undefined) return EXIT_NOT_ACQUIRED;
          await writeAll(encoder.encode(`${message.id} ${message.deliveryCount}\n`));
          await writeAll(message.payload);
          await writeAll(encoder.encode("\n"));
          return 0;
        })
      ),
    )
    .addCommand(
      withClientOptions(
        new Command("ack").description("Ack message ID; prints 1 (acked) or 0 (unknown)")
          .argument("<queue>").argument("<id>"),
      ).action((queue: string, id: string, raw: Raw) =>
        run(raw, async (client) => {
          console.log((await client.queue.ack(queue, id)) ? "1" : "0");
          return 0;
        })
      ),
    )
    .addCommand(
      withClientOptions(
        new Command("stats").description("Print the queue's counts, `name value` per line")
          .argument("<queue>"),
      ).action((queue: string, raw: Raw) =>
        run(raw, async (client) => {
          for (const [name, value] of await client.queue.stats(queue)) console.log(name, value);
          return 0;
        })
      ),
    )
    .addCommand(
      withClientOptions(
        new Command("work")
          .description(
            "Run COMMAND per message, payload on its stdin: exit 0 acks, any other status nacks",
          )
          .argument("<queue>")
          .argument("<command...>", "the command and its arguments, after --")
          .addOption(envOption("--concurrency <n>", "messages handled at once").default("1"))
          .addOption(
            envOption("--visibility <ms>", "invisibility, touched every third of it")
              .default("30000"),
          ),
      ).action(async (queue: string, argv: string[], raw: Raw) => {
        const concurrency = msOption(raw.concurrency, "--concurrency", 1, 1024)!;
        const visibilityMs = msOption(raw.visibility, "--visibility", 3, MS_MAX)!;
        const client = clientFromOptions(raw);
        const code = await queueWork(client, queue, argv, { concurrency, visibilityMs });
        client.close();
        Deno.exit(code);
      }),
    );
}

async function run(raw: Raw, body: (client: DsyncClient) => Promise<number>): Promise<never> {
  const client = clientFromOptions(raw);
  let code: number;
  try {
    code = await body(client);
  } catch (error) {
    code = reportFailure("queue", error);
  } finally {
    client.close();
  }
  Deno.exit(code);
}

async function writeAll(bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += await Deno.stdout.write(bytes.subarray(offset));
  }
}
