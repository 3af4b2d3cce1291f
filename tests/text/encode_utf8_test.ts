import assert from "node:assert/strict";
import { encodeUtf8 } from "../../src/text/encode_utf8.ts";

const reference = new TextEncoder();

Deno.test("encodeUtf8 gives the bytes TextEncoder gives, for every kind of text", () => {
  const texts = [
    "",
    "plain ascii",
    "café",
    "日本語のテキスト",
    "emoji 😀 and more 🎉",
    "lone high \ud800 surrogate",
    "lone low \udc00 at end",
    "\ud83d", // a high surrogate as the last unit
    "x".repeat(70_000) + "ü",
    "ü" + "x".repeat(70_000),
    "😀".repeat(5000),
    '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"' + "ab\u00e9".repeat(3000) +
    '"}]}}',
  ];
  for (const text of texts) {
    assert.deepEqual(encodeUtf8(text), reference.encode(text), JSON.stringify(text.slice(0, 40)));
    assert.deepEqual(
      encodeUtf8(text, 0x0a),
      reference.encode(text + "\n"),
      JSON.stringify(text.slice(0, 40)),
    );
  }
});

Deno.test("encodeUtf8 returns a buffer of the exact size for ASCII and trims a large worst-case one", () => {
  const ascii = encodeUtf8("a".repeat(100_000), 0x0a);
  assert.equal(ascii.byteLength, 100_001);
  assert.equal(ascii.buffer.byteLength, 100_001);
  const wide = encodeUtf8("é".repeat(100_000));
  assert.equal(wide.byteLength, 200_000);
  // The worst-case buffer (3 bytes per unit) is not kept alive by the 2 bytes per unit used.
  assert.equal(wide.buffer.byteLength, 200_000);
});

Deno.test("encodeUtf8 refuses a terminator that is not one ASCII byte", () => {
  assert.throws(() => encodeUtf8("a", 0x80), RangeError);
  assert.throws(() => encodeUtf8("a".repeat(20_000), 0xff), RangeError);
  assert.throws(() => encodeUtf8("a", -1), RangeError);
  assert.deepEqual(encodeUtf8("a", 0), new Uint8Array([0x61, 0]));
});

Deno.test("encodeUtf8 is exact on both sides of the short-text threshold", () => {
  for (const length of [16_383, 16_384, 16_385]) {
    for (const tail of ["", "é", "😀", "\ud800"]) {
      const text = "x".repeat(length - tail.length) + tail;
      assert.deepEqual(
        encodeUtf8(text, 0x0a),
        reference.encode(text + "\n"),
        `${length} ${JSON.stringify(tail)}`,
      );
    }
  }
});
