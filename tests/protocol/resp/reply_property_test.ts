import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeValue, type RespLimits, type RespValue } from "../../../protocol/resp/mod.ts";
import {
  decodeReplies,
  fromLatin1,
  latin1,
  oneByteChunks,
  PROPERTY_SEED,
  splitAt,
} from "./helpers.ts";

const ENCODER = new TextEncoder();
const lineText = fc.string({ unit: "binary", maxLength: 16 }).filter((text) =>
  !/[\r\n]/.test(text)
);
const anyText = fc.string({ unit: "binary", maxLength: 16 });
const blob = fc.uint8Array({ maxLength: 32 });

/** Values that RESP2 can carry unchanged. */
const resp2Scalar: fc.Arbitrary<RespValue> = fc.oneof(
  lineText.map((value): RespValue => ({ type: "simple", value })),
  lineText.map((value): RespValue => ({ type: "error", value })),
  fc.maxSafeInteger().map((value): RespValue => ({ type: "integer", value })),
  blob.map((value): RespValue => ({ type: "bulk", value })),
  fc.constant<RespValue>({ type: "null" }),
);

const resp3Scalar: fc.Arbitrary<RespValue> = fc.oneof(
  resp2Scalar,
  fc.boolean().map((value): RespValue => ({ type: "boolean", value })),
  fc.double().map((value): RespValue => ({ type: "double", value })),
  fc.bigInt().map((value): RespValue => ({ type: "bignum", value })),
  fc.tuple(fc.string({ unit: "binary-ascii", minLength: 3, maxLength: 3 }), blob).map((
    [format, value],
  ): RespValue => ({ type: "verbatim", format, value })),
  anyText.map((value): RespValue => ({ type: "blobError", value })),
);

const resp2Value = fc.letrec<{ value: RespValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    resp2Scalar,
    fc.array(tie("value"), { maxLength: 4 }).map((value): RespValue => ({ type: "array", value })),
  ),
})).value;

/** Any value without attributes (those are only kept at top level). */
const resp3Value = fc.letrec<{ value: RespValue }>((tie) => {
  const list = fc.array(tie("value"), { maxLength: 4 });
  const pairs = fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 });
  return {
    value: fc.oneof(
      { depthSize: "small" },
      resp3Scalar,
      list.map((value): RespValue => ({ type: "array", value })),
      list.map((value): RespValue => ({ type: "set", value })),
      list.map((value): RespValue => ({ type: "push", value })),
      pairs.map((value): RespValue => ({ type: "map", value })),
    ),
  };
}).value;

const topLevelValue = fc.oneof(
  { weight: 5, arbitrary: resp3Value },
  {
    weight: 1,
    arbitrary: fc.array(fc.tuple(resp3Value, resp3Value), { maxLength: 2 }).map((
      value,
    ): RespValue => ({ type: "attribute", value })),
  },
);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function formatDouble(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  return Object.is(value, -0) ? "-0" : String(value);
}

/** What a RESP2 client should see for a value written with version 2. */
function downgrade(v: RespValue): RespValue {
  const bulk = (text: string): RespValue => ({ type: "bulk", value: ENCODER.encode(text) });
  switch (v.type) {
    case "boolean":
      return { type: "integer", value: v.value ? 1 : 0 };
    case "double":
      return bulk(formatDouble(v.value));
    case "bignum":
      return bulk(v.value.toString());
    case "verbatim":
      return { type: "bulk", value: v.value };
    case "blobError":
      return { type: "error", value: v.value.replace(/[\r\n]/g, " ") };
    case "array":
    case "set":
    case "push":
      return { type: "array", value: v.value.map(downgrade) };
    case "map":
      return {
        type: "array",
        value: v.value.flatMap(([key, value]) => [key, value].map(downgrade)),
      };
    default:
      return v;
  }
}

Deno.test("reply property: every value round-trips through RESP3", () => {
  fc.assert(
    fc.property(fc.array(topLevelValue, { maxLength: 5 }), (values) => {
      const outcome = decodeReplies([concat(values.map((v) => encodeValue(v, 3)))]);
      assert.deepStrictEqual(outcome, { items: values, bufferedByteCount: 0 });
    }),
    { seed: PROPERTY_SEED, numRuns: 300 },
  );
});

Deno.test("reply property: the RESP2 subset round-trips through RESP2", () => {
  fc.assert(
    fc.property(fc.array(resp2Value, { maxLength: 5 }), (values) => {
      const outcome = decodeReplies([concat(values.map((v) => encodeValue(v, 2)))]);
      assert.deepStrictEqual(outcome, { items: values, bufferedByteCount: 0 });
    }),
    { seed: PROPERTY_SEED, numRuns: 300 },
  );
});

Deno.test("reply property: RESP3 values written as RESP2 decode to their downgrade", () => {
  fc.assert(
    fc.property(fc.array(topLevelValue, { maxLength: 5 }), (values) => {
      const outcome = decodeReplies([concat(values.map((v) => encodeValue(v, 2)))]);
      const expected = values.filter((v) => v.type !== "attribute").map(downgrade);
      assert.deepStrictEqual(outcome, { items: expected, bufferedByteCount: 0 });
    }),
    { seed: PROPERTY_SEED, numRuns: 300 },
  );
});

Deno.test("reply property: any chunking gives the same values", () => {
  fc.assert(
    fc.property(
      fc.array(topLevelValue, { maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (values, cuts) => {
        const input = concat(values.map((v) => encodeValue(v, 3)));
        const expected = { items: values, bufferedByteCount: 0 };
        assert.deepStrictEqual(decodeReplies(splitAt(input, cuts)), expected);
        assert.deepStrictEqual(decodeReplies(oneByteChunks(input)), expected);
      },
    ),
    { seed: PROPERTY_SEED, numRuns: 200 },
  );
});

/** Fragments that look like RESP replies, so random concatenations hit the parser's edges. */
const replyFragment = fc.oneof(
  topLevelValue.map((v) => latin1(encodeValue(v))),
  fc.constantFrom(
    ..."*%~>|$=!:+-_#,(".split(""),
    "\r\n",
    "\r",
    "-1",
    "0",
    "2",
    "40",
    "inf",
    "t",
    "txt:",
  ),
  fc.uint8Array({ maxLength: 6 }).map(latin1),
);
const replyInput = fc.array(replyFragment, { maxLength: 16 }).map((parts) =>
  fromLatin1(parts.join(""))
);
const limits = fc.constantFrom<Partial<RespLimits>>({}, {
  bulkBytesMax: 8,
  depthMax: 2,
  aggregateCountMax: 3,
});

Deno.test("reply property: arbitrary bytes give values or RESP errors, same for any chunking", () => {
  // decodeReplies rethrows anything but RespProtocolError/RespLimitError, and bounds its loops.
  fc.assert(
    fc.property(
      fc.oneof(replyInput, fc.uint8Array({ maxLength: 200 })),
      fc.array(fc.nat(), { maxLength: 12 }),
      limits,
      (input, cuts, chosenLimits) => {
        const whole = decodeReplies([input], chosenLimits);
        assert.deepStrictEqual(decodeReplies(splitAt(input, cuts), chosenLimits), whole);
        assert.deepStrictEqual(decodeReplies(oneByteChunks(input), chosenLimits), whole);
      },
    ),
    { seed: PROPERTY_SEED, numRuns: 1000 },
  );
});
