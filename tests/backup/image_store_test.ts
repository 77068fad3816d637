import assert from "node:assert/strict";
import {
  BACKUP_CHUNK_BYTES_MAX,
  IMAGE_HOLD_MS,
  IMAGES_HELD_MAX,
  ImageStore,
} from "../../src/backup/image_store.ts";
import { crc32c } from "../../src/storage/crc32.ts";

Deno.test("image store: an image is read back in bounded chunks, then dropped", () => {
  const store = new ImageStore(() => 0);
  const image = new Uint8Array(BACKUP_CHUNK_BYTES_MAX * 2 + 10).map((_, i) => i % 251);
  const held = store.hold(42, image);
  assert.deepEqual(held, {
    token: held.token,
    appliedIndex: 42,
    totalBytes: image.length,
    crc: crc32c(image),
  });
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < image.length;) {
    const chunk = store.chunk(held.token, offset)!;
    assert.ok(chunk.length > 0 && chunk.length <= BACKUP_CHUNK_BYTES_MAX);
    parts.push(chunk);
    offset += chunk.length;
  }
  assert.equal(parts.length, 3);
  assert.deepEqual(new Uint8Array(parts.flatMap((part) => [...part])), image);
  assert.equal(store.chunk(held.token, 0), null, "read to the end: dropped");
});

Deno.test("image store: at most IMAGES_HELD_MAX held; unread ones expire", () => {
  let nowMs = 0;
  const store = new ImageStore(() => nowMs);
  const tokens = Array.from(
    { length: IMAGES_HELD_MAX + 1 },
    (_, i) => store.hold(i, new Uint8Array(4)).token,
  );
  assert.equal(store.size, IMAGES_HELD_MAX);
  assert.equal(store.chunk(tokens[0]!, 0), null, "the least recently read was dropped");
  assert.notEqual(store.chunk(tokens[1]!, 1), null);
  nowMs += IMAGE_HOLD_MS + 1;
  assert.equal(store.chunk(tokens[2]!, 0), null, "expired");
  assert.equal(store.size, 0);
  assert.equal(store.chunk(999, 0), null);
});
