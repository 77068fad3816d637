import assert from "node:assert/strict";
import { concatBytes } from "../../../protocol/binary/mod.ts";

Deno.test("concatBytes: parts in order; one part as it is; none is empty", () => {
  const one = Uint8Array.of(1, 2);
  assert.deepEqual(concatBytes([one, Uint8Array.of(), Uint8Array.of(3)]), Uint8Array.of(1, 2, 3));
  assert.deepEqual(concatBytes([one, Uint8Array.of(3)], 3), Uint8Array.of(1, 2, 3));
  assert.equal(concatBytes([one]), one);
  assert.deepEqual(concatBytes([]), new Uint8Array());
});
