import assert from "node:assert/strict";
import {
  BYTE_READER_BUFFER_BYTES,
  BYTE_READER_FIRST_BYTES,
  openByteReader,
} from "../../src/net/byte_reader.ts";
import { withPartsServer } from "../_fixtures/parts_server.ts";

Deno.test("openByteReader(): a fetch body is read into one buffer, given back by every read", async () => {
  await withPartsServer(["first ", "second ", "third"], { pauseMs: 5 }, async (url) => {
    const reader = openByteReader((await fetch(url)).body!);
    const texts: string[] = [];
    const views: Uint8Array[] = [];
    for (let bytes = await reader.read(); bytes !== undefined; bytes = await reader.read()) {
      texts.push(new TextDecoder().decode(bytes));
      views.push(bytes);
      assert.equal(bytes.buffer.byteLength, BYTE_READER_FIRST_BYTES, "a view of the reused (small) buffer");
    }
    assert.equal(texts.join(""), "first second third");
    assert.ok(views.length >= 2, `read in parts: ${texts.join("|")}`);
    // The buffer went back to the stream at the next read: the bytes of a read do not outlive it.
    assert.equal(views[0]!.byteLength, 0, "the first read's view is detached");
  });
});

Deno.test("openByteReader(): the buffer grows (up to its largest size) after each read that fills it", async () => {
  const big = "a".repeat(300_000);
  await withPartsServer([big, "tail"], { pauseMs: 20 }, async (url) => {
    const reader = openByteReader((await fetch(url)).body!);
    const reads: { size: number; bytes: number }[] = [];
    let text = "";
    for (let bytes = await reader.read(); bytes !== undefined; bytes = await reader.read()) {
      reads.push({ size: bytes.buffer.byteLength, bytes: bytes.byteLength });
      text += new TextDecoder().decode(bytes);
    }
    assert.equal(text, big + "tail");
    assert.equal(reads[0]!.size, BYTE_READER_FIRST_BYTES);
    for (let i = 1; i < reads.length; i++) {
      const before = reads[i - 1]!;
      const expected = before.bytes === before.size
        ? Math.min(before.size * 4, BYTE_READER_BUFFER_BYTES)
        : before.size;
      assert.equal(reads[i]!.size, expected, `read ${i}: ${JSON.stringify(reads)}`);
    }
    assert.equal(reads.at(-1)!.size, BYTE_READER_BUFFER_BYTES, "grown to the largest size for a large body");
    assert.ok(reads.every((r) => r.size <= BYTE_READER_BUFFER_BYTES));
  });
});

Deno.test("openByteReader(): a stream that is not a byte stream is read chunk by chunk", async () => {
  const stream = ReadableStream.from([new Uint8Array([1, 2]), new Uint8Array([3])]);
  const reader = openByteReader(stream);
  assert.deepEqual([...(await reader.read())!], [1, 2]);
  assert.deepEqual([...(await reader.read())!], [3]);
  assert.equal(await reader.read(), undefined);
});

Deno.test("openByteReader(): cancel() releases the body (a failed cancel is ignored)", async () => {
  await withPartsServer(["a", "b", "c"], { pauseMs: 0 }, async (url) => {
    const body = (await fetch(url)).body!;
    const reader = openByteReader(body);
    await reader.read();
    await reader.cancel();
    await reader.cancel();
    assert.equal(body.locked, true, "still this reader's");
  });
  let cancelled = false;
  const plain = new ReadableStream<Uint8Array>({
    cancel() {
      cancelled = true;
      throw new Error("cannot cancel");
    },
  });
  await openByteReader(plain).cancel();
  assert.equal(cancelled, true);
});
