import assert from "node:assert/strict";
import {
  BodyTooLargeError,
  decodeBody,
  GATHER_MAX_BYTES,
  readBoundedBytes,
  readBoundedText,
} from "../../src/net/bounded_body.ts";
import { withPartsServer } from "../_fixtures/parts_server.ts";

Deno.test("readBoundedText(): a body of declared length, read into a buffer of that size", async () => {
  const text = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { text: "é".repeat(200) } });
  await withPartsServer([text], { chunked: false, contentType: "application/json" }, async (url) => {
    const res = await fetch(url);
    assert.equal(res.headers.get("content-length"), String(new TextEncoder().encode(text).length));
    assert.equal(await readBoundedText(res, 1024 * 1024, "the test body"), text);
  });
});

Deno.test("readBoundedText(): a chunked body larger than the reused buffer keeps every part", async () => {
  // Parts of 40 000 bytes: more than one 64 KiB buffer in all, each read into it again.
  const parts = ["[", ..."abcdef".split("").map((c) => `"${c.repeat(40_000)}",`), '"end"]'];
  await withPartsServer(parts, { chunked: true, contentType: "application/json" }, async (url) => {
    const res = await fetch(url);
    assert.equal(res.headers.get("content-length"), null);
    assert.equal(await readBoundedText(res, 1024 * 1024, "the test body"), parts.join(""));
  });
});

Deno.test("readBoundedText(): past the limit, declared or not, the error names it and the body is dropped", async () => {
  const big = "x".repeat(5000);
  await withPartsServer([big], { chunked: false, contentType: "application/json" }, async (url) => {
    await assert.rejects(readBoundedText(await fetch(url), 1000, "the test body"), BodyTooLargeError);
  });
  await withPartsServer([big, big], { contentType: "application/json" }, async (url) => {
    await assert.rejects(
      readBoundedText(await fetch(url), 7000, "the test body"),
      (error: Error) => error instanceof BodyTooLargeError && /test body is larger than/i.test(error.message),
    );
  });
});

Deno.test("readBoundedText(): a compressed body, whose declared length is the compressed one, is read whole and bounded", async () => {
  const text = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { text: "a".repeat(300_000) } });
  const gzipped = new Uint8Array(
    await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(gzipped, {
        headers: {
          "content-type": "application/json",
          "content-encoding": "gzip",
          "content-length": String(gzipped.length),
        },
      }),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const res = await fetch(url);
    assert.ok(
      Number(res.headers.get("content-length")) < 10_000,
      "the declared length is the compressed one",
    );
    assert.equal(await readBoundedText(res, 1024 * 1024, "the test body"), text);
    // The limit counts what is read (decompressed), not what was declared.
    await assert.rejects(readBoundedText(await fetch(url), 100_000, "the test body"), BodyTooLargeError);
  } finally {
    await server.shutdown();
  }
});

Deno.test("readBoundedBytes(): one gathered buffer up to GATHER_MAX_BYTES, copies past it, the limit either way", async () => {
  const body = (size: number, declare: boolean) =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let sent = 0; sent < size; sent += 64 * 1024) {
            controller.enqueue(new Uint8Array(Math.min(64 * 1024, size - sent)).fill(0x61));
          }
          controller.close();
        },
      }),
      declare ? { headers: { "content-length": String(size) } } : {},
    );
  for (const declare of [true, false]) {
    const small = await readBoundedBytes(body(300 * 1024, declare), GATHER_MAX_BYTES * 2, "the body");
    assert.equal(small.gathered?.length, 300 * 1024);
    assert.equal(decodeBody(small).length, 300 * 1024);
    const large = await readBoundedBytes(
      body(GATHER_MAX_BYTES + 1000, declare),
      GATHER_MAX_BYTES * 2,
      "the body",
    );
    assert.equal(large.gathered, undefined);
    assert.equal(large.parts!.reduce((n, part) => n + part.length, 0), GATHER_MAX_BYTES + 1000);
    assert.equal(decodeBody(large), "a".repeat(GATHER_MAX_BYTES + 1000));
    await assert.rejects(
      readBoundedBytes(body(2 * 1024 * 1024, declare), 1024 * 1024, "the body"),
      /The body is larger than 1 MiB/,
    );
  }
});

/**
 * A hand-written server whose body contradicts its `Content-Length` (no real server does this on purpose):
 * it answers every request with `head` and then `body`, as raw bytes, and closes the connection.
 */
async function withLyingServer(
  head: string,
  body: string,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for await (const conn of listener) {
      try {
        await conn.read(new Uint8Array(64 * 1024));
        const bytes = new TextEncoder().encode(`HTTP/1.1 200 OK\r\n${head}\r\n${body}`);
        for (let sent = 0; sent < bytes.length;) sent += await conn.write(bytes.subarray(sent));
      } catch {
        // The client went away: nothing to answer.
      } finally {
        conn.close();
      }
    }
  })();
  try {
    await run(`http://127.0.0.1:${listener.addr.port}/`);
  } finally {
    listener.close();
    await served.catch(() => {});
  }
}

Deno.test("readBoundedText(): a short declared length with a chunked body is not trusted: the limit still holds", async () => {
  // A transfer coding wins over the length (RFC 9112 §6.3), and the runtime reads every chunk while it
  // still shows `content-length: 10`: the whole-body shortcut must not be taken for it.
  const chunk = "x".repeat(1000);
  const body = `${(1000).toString(16)}\r\n${chunk}\r\n`.repeat(5) + "0\r\n\r\n";
  const head = "content-type: application/json\r\ncontent-length: 10\r\ntransfer-encoding: chunked\r\n";
  await withLyingServer(head, body, async (url) => {
    const res = await fetch(url, { method: "POST", body: "{}" });
    assert.equal(res.headers.get("content-length"), "10", "the runtime shows the contradicted length");
    await assert.rejects(readBoundedText(res, 2000, "the test body"), BodyTooLargeError);
  });
  await withLyingServer(head, body, async (url) => {
    assert.equal(
      await readBoundedText(await fetch(url, { method: "POST", body: "{}" }), 10_000, "the test body"),
      chunk.repeat(5),
    );
  });
});

Deno.test("readBoundedText(): a body longer than its declared length is cut at that length", async () => {
  // The shortcut relies on the runtime holding a plain body to its length: this proves it does.
  await withLyingServer(
    "content-type: application/json\r\ncontent-length: 10\r\n",
    "x".repeat(5000),
    async (url) => {
      assert.equal(
        await readBoundedText(await fetch(url, { method: "POST", body: "{}" }), 100, "the test body"),
        "x".repeat(10),
      );
    },
  );
});

Deno.test("readBoundedText(): a Response made in JavaScript that declares a short length is still counted", async () => {
  // No runtime holds such a body to its declared length (a library's own `fetch` may return one).
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(1000).fill(0x78));
      controller.close();
    },
  });
  const res = new Response(body, { headers: { "content-type": "application/json", "content-length": "10" } });
  await assert.rejects(readBoundedText(res, 2000, "the test body"), BodyTooLargeError);
});
