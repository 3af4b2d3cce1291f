import assert from "node:assert/strict";
import { BodyTooLargeError, readBoundedText } from "../../src/net/bounded_body.ts";

/** A local server answering with `parts`, each written on its own (chunked, no declared length) or as one body. */
async function withServer(
  parts: string[],
  chunked: boolean,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    if (!chunked) return new Response(parts.join(""), { headers: { "content-type": "application/json" } });
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= parts.length) return controller.close();
        // A pause before each part but the first: each is read on its own.
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 3));
        controller.enqueue(new TextEncoder().encode(parts[i++]!));
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}/`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("readBoundedText(): a body of declared length, read into a buffer of that size", async () => {
  const text = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { text: "é".repeat(200) } });
  await withServer([text], false, async (url) => {
    const res = await fetch(url);
    assert.equal(res.headers.get("content-length"), String(new TextEncoder().encode(text).length));
    assert.equal(await readBoundedText(res, 1024 * 1024, "the test body"), text);
  });
});

Deno.test("readBoundedText(): a chunked body larger than the reused buffer keeps every part", async () => {
  // Parts of 40 000 bytes: more than one 64 KiB buffer in all, each read into it again.
  const parts = ["[", ..."abcdef".split("").map((c) => `"${c.repeat(40_000)}",`), '"end"]'];
  await withServer(parts, true, async (url) => {
    const res = await fetch(url);
    assert.equal(res.headers.get("content-length"), null);
    assert.equal(await readBoundedText(res, 1024 * 1024, "the test body"), parts.join(""));
  });
});

Deno.test("readBoundedText(): past the limit, declared or not, the error names it and the body is dropped", async () => {
  const big = "x".repeat(5000);
  await withServer([big], false, async (url) => {
    await assert.rejects(readBoundedText(await fetch(url), 1000, "the test body"), BodyTooLargeError);
  });
  await withServer([big, big], true, async (url) => {
    await assert.rejects(
      readBoundedText(await fetch(url), 7000, "the test body"),
      (error: Error) => error instanceof BodyTooLargeError && /test body is larger than/i.test(error.message),
    );
  });
});
