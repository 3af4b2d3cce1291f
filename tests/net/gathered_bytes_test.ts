import assert from "node:assert/strict";
import { GatheredBytes, SPARE_BUFFER_BYTES } from "../../src/net/gathered_bytes.ts";

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

Deno.test("GatheredBytes: the next message reuses the released buffer, but not one past the spare size", () => {
  const first = new GatheredBytes(1024);
  first.push(bytes("x".repeat(100)));
  const buffer = first.bytes().buffer;
  first.release();
  const second = new GatheredBytes(1024);
  second.push(bytes("y"));
  assert.equal(second.bytes().buffer, buffer, "the released buffer was taken again");
  assert.equal(new TextDecoder().decode(second.bytes()), "y");
  // Taken: a message read at the same time gets a buffer of its own.
  const third = new GatheredBytes(1024);
  third.push(bytes("z"));
  assert.notEqual(third.bytes().buffer, buffer);
  second.release();
  third.release();

  const huge = new GatheredBytes(SPARE_BUFFER_BYTES + 1);
  huge.push(new Uint8Array(SPARE_BUFFER_BYTES + 1));
  const hugeBuffer = huge.bytes().buffer;
  huge.release();
  const after = new GatheredBytes(1);
  after.push(bytes("w"));
  assert.notEqual(after.bytes().buffer, hugeBuffer, "a buffer past the spare size is let go");
  after.release();
});
