/**
 * Benchmarks of the SSE framing parser on the shapes the bridge meets: many small events in one
 * network chunk (a burst of notifications), and one large event spread over many chunks (a big tool
 * result).
 *
 * @module
 */

import { SseParser } from "../src/transport/sse_parser.ts";

const SMALL_EVENTS = 200;
const BIG_EVENT_BYTES = 1024 * 1024;
const CHUNK_BYTES = 16 * 1024;

const burst = Array.from(
  { length: SMALL_EVENTS },
  (_, i) =>
    `event: message\nid: ${i}\ndata: {"jsonrpc":"2.0","method":"notifications/progress",` +
    `"params":{"progressToken":"t","progress":${i},"total":${SMALL_EVENTS}}}\n\n`,
).join("");

const bigEvent = `id: big\ndata: {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"${
  "x".repeat(BIG_EVENT_BYTES)
}"}]}}\n\n`;
const bigChunks: string[] = [];
for (let i = 0; i < bigEvent.length; i += CHUNK_BYTES) bigChunks.push(bigEvent.slice(i, i + CHUNK_BYTES));

Deno.bench({
  name: `SseParser: ${SMALL_EVENTS} small events in one chunk`,
  group: "sse",
  baseline: true,
  fn: () => {
    const events = new SseParser().push(burst);
    if (events.length !== SMALL_EVENTS) {
      throw new Error(`expected ${SMALL_EVENTS} events, got ${events.length}`);
    }
  },
});

Deno.bench({
  name: `SseParser: one 1 MiB event in ${bigChunks.length} x 16 KiB chunks`,
  group: "sse",
  fn: () => {
    const parser = new SseParser();
    let events = 0;
    for (const chunk of bigChunks) events += parser.push(chunk).length;
    if (events !== 1) throw new Error(`expected 1 event, got ${events}`);
  },
});
