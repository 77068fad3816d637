import assert from "node:assert/strict";
import fc from "fast-check";
import {
  computePlacement,
  decodePlacement,
  encodePlacement,
  type Placement,
  PLACEMENT_VERSION,
  PlacementDecodeError,
  placementsEqual,
} from "../../src/placement/mod.ts";
import { memberIdsArbitrary } from "./arbitraries.ts";

const placementArbitrary: fc.Arbitrary<Placement> = fc.record({
  memberCount: fc.integer({ min: 1, max: 9 }),
  slotCount: fc.integer({ min: 1, max: 128 }),
  vnodes: fc.integer({ min: 1, max: 16 }),
  replicas: fc.integer({ min: 1, max: 5 }),
}).chain(({ memberCount, ...config }) =>
  memberIdsArbitrary(memberCount).map((members) => computePlacement(members, config))
);

/** Decodes, requiring success or a PlacementDecodeError (anything else fails the test). */
function decodeOrTypedError(bytes: Uint8Array): Placement | PlacementDecodeError {
  try {
    return decodePlacement(bytes);
  } catch (error) {
    if (error instanceof PlacementDecodeError) return error;
    throw error;
  }
}

Deno.test("placement codec: decode(encode(p)) equals p", () => {
  fc.assert(fc.property(placementArbitrary, (placement) => {
    assert.ok(placementsEqual(decodePlacement(encodePlacement(placement)), placement));
  }));
});

Deno.test("placement codec: the layout is version, config, members, then per-slot indexes", () => {
  const placement = computePlacement(["b", "a"], { slotCount: 2, vnodes: 3, replicas: 2 });
  const bytes = encodePlacement(placement);
  const index = (id: string) => placement.members.indexOf(id);
  const slotBytes = placement.slots.flatMap((s) => [...s.replicas.map(index), index(s.leader)]);
  assert.deepEqual(
    [...bytes],
    [PLACEMENT_VERSION, 0, 2, 0, 3, 2, 2, 0, 1, 0x61, 0, 1, 0x62, ...slotBytes],
  );
});

Deno.test("placement codec: garbage throws PlacementDecodeError and nothing else", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      decodeOrTypedError(bytes);
      // With a valid version byte the decoder goes further in.
      decodeOrTypedError(new Uint8Array([PLACEMENT_VERSION, ...bytes]));
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("placement codec: a damaged encoding is refused or decodes to a valid placement", () => {
  fc.assert(
    fc.property(
      placementArbitrary,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.nat(),
      (placement, offset, value, cut) => {
        const bytes = encodePlacement(placement);
        const changed = bytes.slice();
        changed[offset % bytes.length] = value;
        for (const candidate of [changed, bytes.subarray(0, cut % bytes.length)]) {
          const decoded = decodeOrTypedError(candidate);
          if (decoded instanceof PlacementDecodeError) continue;
          // Whatever decodes re-encodes to the same bytes: the decoder checked every field.
          assert.deepEqual(encodePlacement(decoded), candidate);
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("placement codec: names what is wrong", () => {
  const placement = computePlacement(["a", "b", "c"], { slotCount: 1, vnodes: 1, replicas: 2 });
  const good = encodePlacement(placement);
  const headerBytes = 1 + 2 + 2 + 1 + 1 + 3 * 3;
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.of(9, ...good.subarray(1)), /unknown version 9/],
    [Uint8Array.of(...good.subarray(0, 1), 0, 0, ...good.subarray(3)), /slotCount 0 is not/],
    [Uint8Array.of(...good, 0), /1 trailing byte/],
    [good.subarray(0, good.length - 1), /u8 at offset \d+ needs 1 byte but only 0 bytes remain/],
  ];
  const swapped = good.slice();
  swapped.set([0, 1, 0x62, 0, 1, 0x61], 7); // members "b", "a"
  cases.push([swapped, /members not sorted at index 1/]);
  const twice = good.slice();
  twice[headerBytes + 1] = twice[headerBytes]!;
  cases.push([twice, /slot 0 lists replica \S+ twice/]);
  const outsider = good.slice();
  const notReplica = [0, 1, 2].find((i) => !placement.slots[0]!.replicas.includes("abc"[i]!))!;
  outsider[headerBytes + 2] = notReplica;
  cases.push([outsider, /slot 0 leader is not a replica/]);
  const unknown = good.slice();
  unknown[headerBytes] = 3;
  cases.push([unknown, /slot 0 names member 3 of 3/]);
  for (const [bytes, message] of cases) {
    assert.throws(() => decodePlacement(bytes), (error: unknown) => {
      assert.ok(error instanceof PlacementDecodeError);
      assert.match(error.message, /^Cannot decode placement: /);
      assert.match(error.message, message);
      return true;
    });
  }
});
