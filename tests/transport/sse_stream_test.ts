import assert from "node:assert/strict";
import { lastEventEnd, readSseEvents, RETRY_BOUNDS_MS } from "../../src/transport/_sse_stream.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const LF = 0x0a;
const CR = 0x0d;

Deno.test("lastEventEnd() finds the end of the last blank line in a chunk", () => {
  assert.equal(lastEventEnd(bytes("data: a\n\n"), []), 9);
  assert.equal(lastEventEnd(bytes("data: a\n\ndata: b\n"), []), 9);
  assert.equal(lastEventEnd(bytes("data: a\r\n\r\ndata: b"), []), 11);
  assert.equal(lastEventEnd(bytes("data: a\r\rdata: b"), []), 9);
  assert.equal(lastEventEnd(bytes("data: a\n\r\n"), []), 10);
  assert.equal(lastEventEnd(bytes("data: a\ndata: b\n"), []), -1);
  assert.equal(lastEventEnd(bytes("data: a\r\ndata: b"), []), -1);
  assert.equal(lastEventEnd(bytes("no breaks at all"), []), -1);
});

Deno.test("lastEventEnd() sees a blank line split between chunks", () => {
  assert.equal(lastEventEnd(bytes("\ndata: b"), [LF]), 1);
  assert.equal(lastEventEnd(bytes("\n"), [LF]), 1);
  assert.equal(lastEventEnd(bytes("\n\r\n"), [CR]), 3);
  assert.equal(lastEventEnd(bytes("\ndata: b"), [CR]), -1); // CR LF is one line break
  assert.equal(lastEventEnd(bytes("data: b\n"), [LF]), -1); // the run was broken by data
});

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(bytes(chunk));
      controller.close();
    },
  });
}

Deno.test("readSseEvents() delivers events split anywhere, byte by byte", async () => {
  const text = 'retry: 500\nid: 7\ndata: {"a":"é"}\r\n\r\n: comment\ndata: two\ndata: lines\n\n';
  const encoded = bytes(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < encoded.length; i++) chunks.push(encoded.subarray(i, i + 1));
  const seen: string[] = [];
  const outcome = await readSseEvents(
    new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    }),
    (event) => Promise.resolve(void seen.push(event.data)),
    { maxEventBytes: 1024, what: "the test stream" },
  );
  assert.deepEqual(seen, ['{"a":"é"}', "two\nlines"]);
  assert.equal(outcome.lastEventId, "7");
  assert.equal(outcome.retry, 500);
  assert.equal(outcome.events, 2);
});

Deno.test("readSseEvents() applies a retry field that follows the last event", async () => {
  const outcome = await readSseEvents(streamOf(["data: a\n\n", "retry: 900\n"]), () => Promise.resolve(), {
    maxEventBytes: 1024,
    what: "the test stream",
  });
  assert.equal(outcome.retry, 900);
});

Deno.test("readSseEvents() refuses an event past the limit, in one line or in many", async () => {
  for (
    const chunks of [["data: ", "x".repeat(600), "x".repeat(600)], [
      "data: aaaa\n".repeat(60),
      "data: b\n".repeat(100),
    ]]
  ) {
    await assert.rejects(
      readSseEvents(streamOf(chunks), () => Promise.resolve(), {
        maxEventBytes: 1024,
        what: "the test stream",
      }),
      /An event in the test stream is larger than 1 KiB: the stream was dropped/,
    );
  }
});

Deno.test("readSseEvents() keeps a server's retry between 250 ms and 60 s, and does not count empty events", async () => {
  const limit = { maxEventBytes: 1024, what: "the test stream" };
  const quick = await readSseEvents(streamOf(["id: 1\nretry: 0\ndata:\n\n"]), () => Promise.resolve(), limit);
  assert.equal(quick.retry, RETRY_BOUNDS_MS[0]);
  assert.equal(quick.events, 0);
  const huge = await readSseEvents(
    streamOf(["retry: 4294967296\ndata: x\n\n"]),
    () => Promise.resolve(),
    limit,
  );
  assert.equal(huge.retry, RETRY_BOUNDS_MS[1]);
  assert.equal(huge.events, 1);
});

Deno.test("readSseEvents() on a fetch body (one reused buffer): an event split across reads is kept whole", async () => {
  // Each part is written on its own: the event's start waits for its end while the buffer is read into again.
  const parts = [
    'data: {"first":"',
    "x".repeat(3000),
    '"}\n',
    "\n",
    'data: {"second":1}\n\nda',
    "ta: third\n\n",
  ];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= parts.length) return controller.close();
        controller.enqueue(bytes(parts[i++]!));
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    const seen: string[] = [];
    const outcome = await readSseEvents(res.body!, (event) => Promise.resolve(void seen.push(event.data)), {
      maxEventBytes: 8192,
      what: "the test stream",
    });
    assert.deepEqual(seen, [`{"first":"${"x".repeat(3000)}"}`, '{"second":1}', "third"]);
    assert.equal(outcome.events, 3);
    assert.equal(outcome.error, undefined);
  } finally {
    await server.shutdown();
  }
});
