/**
 * Benchmarks of encoding one message line for the host: `TextEncoder.encode(text + "\n")` (what the
 * line writer did) against `encodeUtf8(text, LF)` (`encodeInto` a buffer of the text's size), for an
 * echo answer and for a 1 MiB tool result. The runtime's `encode` hands back a buffer it makes outside
 * the JavaScript heap, which for a large text costs far more than the encoding.
 *
 * @module
 */

import { encodeUtf8 } from "../src/text/encode_utf8.ts";

const encoder = new TextEncoder();
const LF = 0x0a;
const unit = "The quick brown fox jumps over the lazy dog 0123456789. ";
const small = '{"jsonrpc":"2.0","id":123,"result":{"content":[{"type":"text","text":"hello world"}]}}';
const large = '{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"' +
  unit.repeat(Math.ceil((1024 * 1024) / unit.length)) + '"}]}}';
const wide = '{"jsonrpc":"2.0","id":6,"result":{"content":[{"type":"text","text":"' +
  "Grüße, 世界! ".repeat(10_000) + '"}]}}';

Deno.bench("TextEncoder.encode(text + newline), echo answer", { group: "small", baseline: true }, () => {
  encoder.encode(small + "\n");
});
Deno.bench("encodeUtf8(text, LF), echo answer", { group: "small" }, () => {
  encodeUtf8(small, LF);
});
Deno.bench("TextEncoder.encode(text + newline), 1 MiB result", { group: "large", baseline: true }, () => {
  encoder.encode(large + "\n");
});
Deno.bench("encodeUtf8(text, LF), 1 MiB result", { group: "large" }, () => {
  encodeUtf8(large, LF);
});
Deno.bench(
  "TextEncoder.encode(text + newline), 150 KiB of non-ASCII",
  { group: "wide", baseline: true },
  () => {
    encoder.encode(wide + "\n");
  },
);
Deno.bench("encodeUtf8(text, LF), 150 KiB of non-ASCII", { group: "wide" }, () => {
  encodeUtf8(wide, LF);
});
