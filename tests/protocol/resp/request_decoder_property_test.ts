import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCommand, type RespLimits } from "../../../protocol/resp/mod.ts";
import {
  decodeRequests,
  fromLatin1,
  latin1,
  oneByteChunks,
  PROPERTY_SEED,
  splitAt,
} from "./helpers.ts";

/** Small limits so random input reaches every limit path. */
const SMALL_LIMITS: Partial<RespLimits> = {
  bulkBytesMax: 16,
  argumentCountMax: 4,
  inlineBytesMax: 24,
};

const argument = fc.uint8Array({ maxLength: 24 });
const command = fc.array(argument, { minLength: 1, maxLength: 6 });

/** Fragments that look like RESP requests, so random concatenations hit the parser's edges. */
const fragment = fc.oneof(
  command.map((args) => latin1(encodeCommand(args))),
  fc.constantFrom(
    "*",
    "$",
    "\r\n",
    "\n",
    "\r",
    '"',
    "'",
    "\\",
    "\\x4",
    " ",
    "\t",
    "-1",
    "0",
    "3",
    "17",
    "PING",
    "*1\r\n",
    "$4\r\n",
    "*0\r\n",
  ),
  fc.uint8Array({ maxLength: 8 }).map(latin1),
);
const requestInput = fc.array(fragment, { maxLength: 24 }).map((parts) =>
  fromLatin1(parts.join(""))
);
const cuts = fc.array(fc.nat(), { maxLength: 12 });
const limits = fc.constantFrom<Partial<RespLimits>>({}, SMALL_LIMITS);

Deno.test("request property: encoded commands decode to their arguments", () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 20 }), (commands) => {
      const input = new Uint8Array(commands.flatMap((args) => [...encodeCommand(args)]));
      const outcome = decodeRequests([input]);
      assert.deepEqual(outcome, {
        items: commands.map((args) => args.map(latin1)),
        bufferedByteCount: 0,
      });
    }),
    { seed: PROPERTY_SEED, numRuns: 200 },
  );
});

Deno.test("request property: inline commands with quoted \\xHH arguments decode exactly", () => {
  const token = fc.stringMatching(/^[a-z0-9:]{1,8}$/);
  const quoted = (data: Uint8Array) =>
    '"' + Array.from(data, (byte) => "\\x" + byte.toString(16).padStart(2, "0")).join("") + '"';
  fc.assert(
    fc.property(token, argument, fc.constantFrom("\r\n", "\n"), (name, data, newline) => {
      const line = `${name} ${quoted(data)}\t${name}${newline}`;
      const outcome = decodeRequests([fromLatin1(line)]);
      assert.deepEqual(outcome.items, [[name, latin1(data), name]]);
    }),
    { seed: PROPERTY_SEED, numRuns: 200 },
  );
});

Deno.test("request property: any chunking gives the same outcome (push and writable)", () => {
  fc.assert(
    fc.property(requestInput, cuts, limits, (input, cutPoints, chosenLimits) => {
      const whole = decodeRequests([input], "push", chosenLimits);
      const chunks = splitAt(input, cutPoints);
      assert.deepEqual(decodeRequests(chunks, "push", chosenLimits), whole);
      assert.deepEqual(decodeRequests(chunks, "writable", chosenLimits), whole);
    }),
    { seed: PROPERTY_SEED, numRuns: 1000 },
  );
});

Deno.test("request property: one byte at a time gives the same outcome", () => {
  fc.assert(
    fc.property(requestInput, limits, (input, chosenLimits) => {
      const whole = decodeRequests([input], "push", chosenLimits);
      const chunks = oneByteChunks(input);
      assert.deepEqual(decodeRequests(chunks, "push", chosenLimits), whole);
      assert.deepEqual(decodeRequests(chunks, "writable", chosenLimits), whole);
    }),
    { seed: PROPERTY_SEED, numRuns: 300 },
  );
});

Deno.test("request property: arbitrary bytes give commands or RESP errors only", () => {
  // decodeRequests rethrows anything but RespProtocolError/RespLimitError, and bounds its loops.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), cuts, limits, (input, cutPoints, chosen) => {
      const outcome = decodeRequests(splitAt(input, cutPoints), "push", chosen);
      for (const args of outcome.items) assert.ok(args.length > 0);
    }),
    { seed: PROPERTY_SEED, numRuns: 1000 },
  );
});
