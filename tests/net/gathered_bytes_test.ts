import assert from "node:assert/strict";
import { GATHERED_MAX_BYTES, GatheredBytes, SPARE_BUFFER_BYTES } from "../../src/net/gathered_bytes.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("GatheredBytes grows to hold what is pushed, and keeps it in order", () => {
  const gathered = new GatheredBytes(2);
  const parts = ["a", "bc", "défg", "h".repeat(1000)];
  for (const part of parts) gathered.push(bytes(part));
  assert.equal(new TextDecoder().decode(gathered.bytes()), parts.join(""));
  assert.equal(gathered.length, gathered.bytes().length);
  gathered.release();
  assert.equal(gathered.length, 0);
});

Deno.test("GatheredBytes: the next message reuses the released buffer; a smaller or too large one gives its pages back", () => {
  const first = new GatheredBytes(1024);
  first.push(bytes("x".repeat(4096)));
  const buffer = first.bytes().buffer;
  first.release();
  const second = new GatheredBytes(1024);
  second.push(bytes("y"));
  assert.equal(second.bytes().buffer, buffer, "the released buffer was taken again");
  assert.equal(new TextDecoder().decode(second.bytes()), "y");
  // Taken: a message read at the same time gets a buffer of its own.
  const third = new GatheredBytes(16);
  third.push(bytes("z"));
  const thirdBuffer = third.bytes().buffer;
  assert.notEqual(thirdBuffer, buffer);
  second.release();
  third.release();
  assert.equal(thirdBuffer.byteLength, 0, "the smaller, not kept, gives its pages back at once");
  assert.ok(buffer.byteLength >= 4096, "the kept one keeps its pages for the next message");

  const keep = new GatheredBytes(1);
  const huge = new GatheredBytes(SPARE_BUFFER_BYTES + 1);
  huge.push(new Uint8Array(SPARE_BUFFER_BYTES + 1));
  const hugeBuffer = huge.bytes().buffer;
  assert.notEqual(hugeBuffer, buffer);
  huge.release();
  assert.equal(hugeBuffer.byteLength, 0, "a buffer past the spare size gives its pages back");
  keep.release();
  const after = new GatheredBytes(1);
  after.push(bytes("w"));
  assert.equal(after.bytes().buffer, buffer, "the spare is still the one kept");
  assert.equal(new TextDecoder().decode(after.bytes()), "w");
  after.release();
});

Deno.test("GatheredBytes grows in place, and refuses bytes past its most", () => {
  const gathered = new GatheredBytes(16);
  gathered.push(new Uint8Array(8).fill(1));
  const buffer = gathered.bytes().buffer as ArrayBuffer;
  assert.equal(buffer.resizable, true);
  gathered.push(new Uint8Array(64 * 1024).fill(2));
  gathered.push(new Uint8Array(8).fill(3));
  const size = 8 + 64 * 1024 + 8;
  assert.equal(gathered.bytes().buffer, buffer, "the same buffer, grown (no copy into a larger one)");
  assert.equal(buffer.byteLength, size, "grown to what the bytes need, not twice as large");
  const view = gathered.bytes();
  assert.deepEqual([view[7], view[8], view[size - 9], view[size - 8], gathered.length], [1, 2, 2, 3, size]);
  assert.throws(() => gathered.push(new Uint8Array(GATHERED_MAX_BYTES)), {
    name: "RangeError",
    message: `Cannot gather ${size + GATHERED_MAX_BYTES} bytes: the most is ${GATHERED_MAX_BYTES}`,
  });
  assert.equal(gathered.length, size, "a refused push adds nothing");
  gathered.release();
});
