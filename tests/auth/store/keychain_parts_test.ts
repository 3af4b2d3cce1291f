/** Secrets too large for one keychain item, in parts (`_keychain_parts.ts`): pure, run everywhere. */

import assert from "node:assert/strict";
import {
  joinParts,
  layoutSecret,
  manifestOf,
  MAX_SECRET_BYTES,
  newGeneration,
  partNames,
} from "../../../src/auth/store/_keychain_parts.ts";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256);

/** Lays a secret out and reads it back as a keychain would: the head, then the parts it names. */
function roundTrip(secret: Uint8Array, partBytes: number): Uint8Array | undefined {
  const layout = layoutSecret("k1", secret, "0a1b2c3d", { partBytes });
  for (const part of layout.parts) assert.ok(part.data.length <= partBytes, `${part.name} is too large`);
  assert.ok(layout.head.length <= partBytes || layout.parts.length === 0);
  const manifest = manifestOf(layout.head);
  if (!manifest) return layout.head;
  const stored = new Map(layout.parts.map((p) => [p.name, p.data]));
  return joinParts(manifest, partNames("k1", manifest).map((name) => stored.get(name)));
}

Deno.test("parts: every size up to the limit reads back exactly, whole or in parts", () => {
  for (const size of [0, 1, 99, 100, 101, 199, 200, 201, 1000, 2560, 2561, 5120, 5121]) {
    const secret = bytes(size);
    assert.deepEqual(roundTrip(secret, 100), secret, `size ${size}`);
    assert.deepEqual(roundTrip(secret, 64), secret, `size ${size}, items of 64`);
  }
  const largest = bytes(MAX_SECRET_BYTES);
  assert.deepEqual(roundTrip(largest, 2560), largest);
});

Deno.test("parts: a secret that fits is stored whole; one larger than an item gets a manifest and its parts", () => {
  const whole = layoutSecret("k1", bytes(100), "0a1b2c3d", { partBytes: 100 });
  assert.equal(whole.head.length, 100);
  assert.deepEqual(whole.parts, []);
  const split = layoutSecret("k1", bytes(250), "0a1b2c3d", { partBytes: 100 });
  assert.equal(new TextDecoder().decode(split.head), "mcp-bridge-parts:1:0a1b2c3d:3:250");
  assert.deepEqual(split.parts.map((p) => [p.name, p.data.length]), [
    ["k1/0a1b2c3d/0", 100],
    ["k1/0a1b2c3d/1", 100],
    ["k1/0a1b2c3d/2", 50],
  ]);
});

Deno.test("parts: UTF-8 cut between the bytes of a character joins back to the same text", () => {
  const text = "é€𝄞".repeat(500);
  const secret = new TextEncoder().encode(text);
  const joined = roundTrip(secret, 64); // 64 bytes is no multiple of 2, 3 or 4 bytes: characters are cut
  assert.equal(new TextDecoder("utf-8", { fatal: true }).decode(joined!), text);
});

Deno.test("parts: a secret that looks like a manifest is stored in parts, so it is never taken for one", () => {
  const secret = new TextEncoder().encode("mcp-bridge-parts:1:0a1b2c3d:1:5");
  const layout = layoutSecret("k1", secret, "0a1b2c3d", { partBytes: 100 });
  assert.equal(layout.parts.length, 1);
  assert.deepEqual(roundTrip(secret, 100), secret);
});

Deno.test("parts: past the limit is refused with the size in the message", () => {
  assert.throws(
    () => layoutSecret("k1", bytes(MAX_SECRET_BYTES + 1), "0a1b2c3d", { partBytes: 2560 }),
    (e: Error) => e instanceof RangeError && /larger than 65536 bytes/.test(e.message),
  );
  assert.throws(() => layoutSecret("k1", bytes(11), "0a1b2c3d", { partBytes: 64, maxBytes: 10 }), RangeError);
  assert.throws(() => layoutSecret("k1", bytes(1), "0a1b2c3d", { partBytes: 63 }), RangeError);
});

Deno.test("parts: a missing part, a part too many or too few bytes: no secret (read again or report)", () => {
  const layout = layoutSecret("k1", bytes(250), "0a1b2c3d", { partBytes: 100 });
  const manifest = manifestOf(layout.head)!;
  const data = layout.parts.map((p) => p.data);
  assert.equal(joinParts(manifest, [data[0], undefined, data[2]]), undefined);
  assert.equal(joinParts(manifest, data.slice(0, 2)), undefined);
  assert.equal(joinParts(manifest, [data[0], data[1], data[2]!.subarray(1)]), undefined);
  assert.equal(joinParts(manifest, [data[0], data[1], data[2], data[2]]), undefined);
});

Deno.test("parts: manifests are recognised exactly; records and near misses are secrets", () => {
  const text = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(manifestOf(text("mcp-bridge-parts:1:0a1b2c3d:26:65536")), {
    generation: "0a1b2c3d",
    count: 26,
    bytes: 65536,
  });
  for (
    const other of [
      '{"version":1}',
      "mcp-bridge-parts:2:0a1b2c3d:1:5",
      "mcp-bridge-parts:1:0A1B2C3D:1:5",
      "mcp-bridge-parts:1:0a1b2c3d:0:5",
      "mcp-bridge-parts:1:0a1b2c3d:1:5\n",
      " mcp-bridge-parts:1:0a1b2c3d:1:5",
    ]
  ) {
    assert.equal(manifestOf(text(other)), undefined, other);
  }
});

Deno.test("parts: generations are eight hex digits, new each time; names carry account, generation, index", () => {
  const a = newGeneration();
  assert.match(a, /^[0-9a-f]{8}$/);
  assert.notEqual(a, newGeneration());
  assert.deepEqual(partNames("k1", { generation: a, count: 2, bytes: 3 }), [`k1/${a}/0`, `k1/${a}/1`]);
  assert.throws(() => layoutSecret("k1", bytes(1), "nothex!!", { partBytes: 10 }), TypeError);
});
