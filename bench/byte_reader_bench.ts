/**
 * Benchmarks of reading a stream of small events as a `fetch` body gives them: a byte stream with a 64 KiB
 * chunk for every read it fills itself (Deno's `fetch` body reader), one event per read. `openByteReader`
 * reads into one reused buffer instead; `readSseEvents` (the bridge's SSE reader) with it. And many short
 * answers (one event each, as a tool call's): a small first buffer that grows only when a read fills it,
 * against a 64 KiB one for each answer.
 *
 * @module
 */

import { BYTE_READER_BUFFER_BYTES, openByteReader } from "../src/net/byte_reader.ts";
import { readSseEvents } from "../src/transport/_sse_stream.ts";

const EVENTS = 2000;
const events = Array.from(
  { length: EVENTS },
  (_, i) =>
    new TextEncoder().encode(
      `event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress",` +
        `"params":{"progressToken":"t","progress":${i},"total":${EVENTS}}}\n\n`,
    ),
);

/** A byte stream like a `fetch` body: each pull fills the reader's view (or a new 64 KiB chunk) with one event. */
function fetchLikeBody(count = events.length): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: 64 * 1024,
    pull(controller) {
      if (i >= count) {
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      const event = events[i++]!;
      const request = controller.byobRequest!;
      const view = request.view as Uint8Array;
      view.set(event);
      request.respond(event.byteLength);
    },
  });
}

Deno.bench({
  name: `${EVENTS} one-event reads: the reader's own 64 KiB chunk for each`,
  group: "reads",
  baseline: true,
  async fn() {
    const reader = fetchLikeBody().getReader();
    while (!(await reader.read()).done);
  },
});

Deno.bench({
  name: `${EVENTS} one-event reads: openByteReader, one reused buffer`,
  group: "reads",
  async fn() {
    const reader = openByteReader(fetchLikeBody());
    while ((await reader.read()) !== undefined);
  },
});

Deno.bench({
  name: `readSseEvents: ${EVENTS} events, one per read`,
  group: "sse stream",
  async fn() {
    let seen = 0;
    await readSseEvents(fetchLikeBody(), () => Promise.resolve(void seen++), {
      maxEventBytes: 1024 * 1024,
      what: "the bench stream",
    });
    if (seen !== EVENTS) throw new Error(`${seen} events`);
  },
});

for (
  const [label, first] of [["a 64 KiB buffer for each", BYTE_READER_BUFFER_BYTES], [
    "8 KiB first (the default)",
    undefined,
  ]] as const
) {
  Deno.bench({
    name: `${EVENTS} one-event answers: openByteReader, ${label}`,
    group: "answers",
    baseline: first !== undefined,
    async fn() {
      for (let n = 0; n < EVENTS; n++) {
        const reader = openByteReader(fetchLikeBody(1), BYTE_READER_BUFFER_BYTES, first);
        while ((await reader.read()) !== undefined);
      }
    },
  });
}
