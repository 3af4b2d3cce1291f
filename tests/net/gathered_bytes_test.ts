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

Deno.test("GatheredBytes: the next message reuses the released buffer; the larger of two waits, the other's pages go back", () => {
  const first = new GatheredBytes(1024);
  first.push(new Uint8Array(100 * 1024));
  const buffer = first.bytes().buffer as ArrayBuffer;
  first.release();
  const second = new GatheredBytes(1024);
  second.push(bytes("y"));
  assert.equal(second.bytes().buffer, buffer, "the released buffer was taken again");
  assert.equal(new TextDecoder().decode(second.bytes()), "y");
  // Taken: a message read at the same time gets a buffer of its own, plain while small.
  const third = new GatheredBytes(1024);
  third.push(bytes("z"));
  assert.equal((third.bytes().buffer as ArrayBuffer).resizable, false);
  second.release();
  third.release();
  assert.ok(buffer.byteLength >= 100 * 1024, "the kept one keeps its pages for the next message");

  const fourth = new GatheredBytes(1);
  assert.equal(fourth.bytes().buffer, buffer, "the larger one waited, not the plain one released after it");
  const fifth = new GatheredBytes(256 * 1024);
  fifth.push(new Uint8Array(200 * 1024));
  const larger = fifth.bytes().buffer as ArrayBuffer;
  fourth.release();
  fifth.release();
  assert.equal(buffer.byteLength, 0, "the smaller one, not kept, gave its pages back at once");

  const keep = new GatheredBytes(1);
  assert.equal(keep.bytes().buffer, larger);
  const huge = new GatheredBytes(SPARE_BUFFER_BYTES + 1);
  huge.push(new Uint8Array(SPARE_BUFFER_BYTES + 1));
  const hugeBuffer = huge.bytes().buffer;
  huge.release();
  assert.equal(hugeBuffer.byteLength, 0, "a buffer past the spare size gives its pages back");
  keep.release();
  const after = new GatheredBytes(1);
  after.push(bytes("w"));
  assert.equal(after.bytes().buffer, larger, "the one kept is the larger");
  assert.equal(new TextDecoder().decode(after.bytes()), "w");
  after.release();
});

Deno.test("GatheredBytes grows a large buffer in place, and refuses bytes past its most", () => {
  const gathered = new GatheredBytes(128 * 1024);
  gathered.push(new Uint8Array(8).fill(1));
  const buffer = gathered.bytes().buffer as ArrayBuffer;
  assert.equal(buffer.resizable, true);
  const grow = buffer.byteLength;
  gathered.push(new Uint8Array(grow).fill(2));
  gathered.push(new Uint8Array(8).fill(3));
  const size = 8 + grow + 8;
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

Deno.test("GatheredBytes: a small message's buffer is plain, and becomes resizable when it outgrows it", () => {
  const hold = new GatheredBytes(1); // takes the waiting buffer, if any
  const small = new GatheredBytes(16);
  small.push(new Uint8Array(8).fill(1));
  assert.equal((small.bytes().buffer as ArrayBuffer).resizable, false, "no reservation for a short answer");
  small.push(new Uint8Array(70 * 1024).fill(2));
  const buffer = small.bytes().buffer as ArrayBuffer;
  assert.equal(buffer.resizable, true);
  assert.equal(buffer.byteLength, 8 + 70 * 1024);
  assert.deepEqual([small.bytes()[0], small.bytes()[7], small.bytes()[8], small.length], [
    1,
    1,
    2,
    8 + 70 * 1024,
  ]);
  small.release();
  hold.release();
});
