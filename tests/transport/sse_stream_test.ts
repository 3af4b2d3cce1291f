import assert from "node:assert/strict";
import {
  BYTES_EVENT_MAX,
  lastEventEnd,
  readSseEvents,
  RETRY_BOUNDS_MS,
} from "../../src/transport/_sse_stream.ts";
import { SseParser } from "../../src/transport/sse_parser.ts";

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

/** The events of a stream as text, whichever way they came (bytes decoded), and how many came as bytes. */
async function readAll(chunks: Uint8Array[], asBytes: boolean) {
  const events: { event: string; data: string; id: string; hasId: boolean }[] = [];
  let asBytesCount = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk.slice());
      controller.close();
    },
  });
  const outcome = await readSseEvents(
    stream,
    (event) => {
      let data = event.data;
      if (event.bytes !== undefined) {
        asBytesCount++;
        data = new TextDecoder().decode(event.bytes);
      }
      events.push({ event: event.event, data, id: event.id, hasId: event.hasId });
      return Promise.resolve();
    },
    { maxEventBytes: 64 * 1024 * 1024, what: "the test stream" },
    { bytes: asBytes },
  );
  return {
    events,
    asBytesCount,
    lastEventId: outcome.lastEventId,
    retry: outcome.retry,
    count: outcome.events,
  };
}

/** The events of the whole stream given to one parser at once: what any way of reading it must give. */
function oracle(all: Uint8Array) {
  const parser = new SseParser();
  const dispatched = parser.push(new TextDecoder().decode(all));
  const retry = parser.retry === undefined
    ? undefined
    : Math.min(Math.max(parser.retry, RETRY_BOUNDS_MS[0]), RETRY_BOUNDS_MS[1]);
  return {
    events: dispatched.map(({ event, data, id, hasId }) => ({ event, data, id, hasId })),
    lastEventId: parser.lastEventId,
    retry,
    count: dispatched.filter((e) => e.data !== "").length,
  };
}

/** Cuts `all` at `n` places chosen by `next`. */
function cut(all: Uint8Array, n: number, next: () => number): Uint8Array[] {
  const at = Array.from({ length: n }, () => Math.floor(next() * all.length)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, all.length]) {
    if (to > from) chunks.push(all.subarray(from, to));
    from = Math.max(from, to);
  }
  return chunks;
}

Deno.test("readSseEvents() gives a large one-line event as bytes, and the same events as the text path in any shape", async () => {
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const big = `{"jsonrpc":"2.0","id":1,"result":{"text":"${"é€ x".repeat(40_000)}"}}`;
  // Each shape, and how many of its events may come as bytes (those whose data is one line).
  const shapes: [string, number][] = [
    [`event: message\nid: a1\ndata: ${big}\n\n`, 1],
    [`data:${big}\r\n\r\n: after\ndata: small\n\n`, 1],
    // A byte order mark in the middle of a stream is a character: an unknown field, no event.
    [`\uFEFFdata: ${big}\n\n`, 0],
    [`id: 2\r\ndata: ${big}\r\rdata: next\r\r`, 1],
    // Not one data line: the text path's way.
    [`data: ${big}\ndata: second\n\n`, 0],
    [`data\ndata: ${big}\n\n`, 0],
    [`data: ${big}\nid: late\n\n`, 0],
    [`event: other\ndata: ${big}\n\n`, 1],
    [`retry: 900\ndata: ${big}\n\ndata: ${big}\n\n`, 2],
    [`data: ${big}`, 0], // never ends
    [`retry: 5000\ndata: ${big}`, 0], // never ends, after a field that still counts
    // A field ended by a lone CR before the data line (the parser waits to see whether a LF follows).
    [`id: 7\rdata: ${big}\r\r`, 1],
  ];
  for (const [shape, oneLine] of shapes) {
    const all = bytes(`data: first\n\n${shape}`);
    let taken = 0;
    let spanned = 0;
    for (let round = 0; round < 8; round++) {
      const chunks = round === 0 ? [all] : cut(all, 20 + Math.floor(next() * 200), next);
      const text = await readAll(chunks, false);
      const asBytes = await readAll(chunks, true);
      const expected = oracle(all);
      assert.equal(text.asBytesCount, 0);
      for (const got of [text, asBytes]) {
        assert.deepEqual(got.events, expected.events, shape.slice(0, 40));
        assert.deepEqual([got.lastEventId, got.retry, got.count], [
          expected.lastEventId,
          expected.retry,
          expected.count,
        ]);
      }
      taken += asBytes.asBytesCount;
      if (chunks.length > 1) spanned++;
    }
    // As bytes whenever a one-line event spanned reads (round 0 is one read: nothing waits to be gathered;
    // 20 or more cuts put one inside each 200 KB event).
    assert.equal(taken, oneLine * spanned, `${shape.slice(0, 30)}: ${taken} events came as bytes`);
  }
});

Deno.test("readSseEvents() gathers an event past the bytes path's most as text, and still meets the limit", async () => {
  const line = `data: ${"x".repeat(9 * 1024 * 1024)}\n\n`;
  const result = await readAll(cut(bytes(line), 300, Math.random), true);
  assert.equal(result.asBytesCount, 0);
  assert.equal(result.events[0]?.data.length, 9 * 1024 * 1024);
  await assert.rejects(
    readSseEvents(streamOf([line]), () => Promise.resolve(), {
      maxEventBytes: 1024 * 1024,
      what: "the stream",
    }, {
      bytes: true,
    }),
    /An event in the stream is larger than 1 MiB/,
  );
});

Deno.test("readSseEvents(): a gathered event that the read ending it takes past the bytes path's most goes as text", async () => {
  const data = "x".repeat(BYTES_EVENT_MAX + 800);
  const all = bytes(`data: ${data}\n\ndata: next\n\n`);
  // 64 KiB reads up to 100 bytes under the most, then one read with the rest: the event's end, another event.
  const split = BYTES_EVENT_MAX - 100;
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < split; at += 64 * 1024) {
    chunks.push(all.subarray(at, Math.min(at + 64 * 1024, split)));
  }
  chunks.push(all.subarray(split));
  const result = await readAll(chunks, true);
  assert.equal(result.asBytesCount, 0, "past the most: as text");
  assert.deepEqual(result.events.map((e) => e.data.length), [data.length, 4]);
  assert.ok(result.events[0]!.data === data && result.events[1]!.data === "next");
});

Deno.test("readSseEvents() measures a gathered event against the limit on the read that ends it too", async () => {
  const data = "x".repeat(70_000);
  const all = bytes(`data: ${data}\n\n`);
  for (const asBytes of [true, false]) {
    // 64 KiB, then the rest with the end: only the last read completes the event.
    const chunks = [all.subarray(0, 65_536), all.subarray(65_536)];
    await assert.rejects(
      readSseEvents(
        new ReadableStream({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk.slice());
            controller.close();
          },
        }),
        () => Promise.resolve(),
        { maxEventBytes: 66_000, what: "the stream" },
        { bytes: asBytes },
      ),
      /An event in the stream is larger than 64\.5 KiB/,
    );
    const under = await readAll(chunks, asBytes);
    assert.equal(under.events[0]?.data, data);
  }
});

Deno.test("readSseEvents() with a byte order mark, then an empty data line, then a large one: the text path's event", async () => {
  const big = `{"jsonrpc":"2.0","id":1,"result":{"text":"${"x".repeat(100_000)}"}}`;
  const all = bytes(`\uFEFFdata:\ndata: ${big}\n\n`);
  let seed = 5;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let round = 1; round < 6; round++) {
    const chunks = cut(all, 1 + Math.floor(next() * 30), next);
    const got = await readAll(chunks, true);
    assert.deepEqual(got.events, oracle(all).events);
    assert.equal(got.events[0]?.data, `\n${big}`);
  }
});

Deno.test("readSseEvents() with a byte order mark at the start of the stream: the same events either way", async () => {
  let seed = 3;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const big = `{"jsonrpc":"2.0","id":1,"result":{"text":"${"x".repeat(100_000)}"}}`;
  for (
    const [stream, asBytes] of [[`\uFEFFevent: message\ndata: ${big}\n\n`, 7], [
      `\uFEFFdata: ${big}\n\n`,
      0,
    ]] as const
  ) {
    let taken = 0;
    for (let round = 1; round < 8; round++) {
      const chunks = cut(bytes(stream), 1 + Math.floor(next() * 50), next);
      const text = await readAll(chunks, false);
      const gathered = await readAll(chunks, true);
      assert.deepEqual(gathered.events, text.events);
      assert.equal(text.events.length, 1);
      taken += gathered.asBytesCount;
    }
    // After the mark, a field then the data line is the shape; the mark then `data:` is left to the decoder.
    assert.equal(taken, asBytes, stream.slice(0, 20));
  }
});
