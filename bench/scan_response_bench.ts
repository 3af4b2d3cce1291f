/**
 * Benchmarks of the check that lets a large result response go to the host as the bytes it came in
 * (`scanResponse`), against what the text path does with the same bytes: decode, parse for the envelope,
 * encode again for stdout.
 *
 * @module
 */

import { parseMessage } from "../src/jsonrpc/message.ts";
import { scanResponse } from "../src/jsonrpc/scan_response.ts";
import { encodeUtf8 } from "../src/text/encode_utf8.ts";

const unit = 'The quick brown fox jumps over the lazy dog, "quoted" é ✓ 0123456789. ';
const text = unit.repeat(Math.ceil((1024 * 1024) / unit.length));
const bytes = new TextEncoder().encode(
  JSON.stringify({ result: { content: [{ type: "text", text }] }, jsonrpc: "2.0", id: 43 }),
);
const decoder = new TextDecoder();

Deno.bench({
  name: "text path: decode, parseMessage and encode a 1 MiB result response",
  group: "large answer",
  baseline: true,
  fn: () => {
    const message = decoder.decode(bytes);
    if (parseMessage(message).kind !== "response") throw new Error("not a response");
    if (encodeUtf8(message, 0x0a).length !== bytes.length + 1) throw new Error("not the same bytes");
  },
});

Deno.bench({
  name: "bytes path: scanResponse of a 1 MiB result response",
  group: "large answer",
  fn: () => {
    if (scanResponse(bytes)?.id !== 43) throw new Error("not the response");
  },
});
