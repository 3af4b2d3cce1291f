/**
 * Benchmark of the stdin line splitter: 1000 JSON-RPC lines delivered in 64 KiB reads, the size a
 * pipe read typically returns.
 *
 * @module
 */

import { readLines } from "../src/stdio/line_reader.ts";

const LINES = 1000;
const READ_BYTES = 64 * 1024;

const text = Array.from({ length: LINES }, (_, i) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id: i,
    method: "tools/call",
    params: { name: "echo", arguments: { text: `message ${i} héllo` } },
  }) + "\n").join("");
const bytes = new TextEncoder().encode(text);
const reads: Uint8Array[] = [];
for (let i = 0; i < bytes.length; i += READ_BYTES) reads.push(bytes.slice(i, i + READ_BYTES));

Deno.bench({
  name: `readLines: ${LINES} lines in ${reads.length} x 64 KiB reads`,
  group: "stdin",
  fn: async () => {
    let count = 0;
    for await (const line of readLines(ReadableStream.from(reads))) {
      if ("error" in line) throw new Error(line.error);
      count++;
    }
    if (count !== LINES) throw new Error(`expected ${LINES} lines, got ${count}`);
  },
});
