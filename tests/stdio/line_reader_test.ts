import assert from "node:assert/strict";
import { type HostLine, MAX_LINE_BYTES, readLines } from "../../src/stdio/line_reader.ts";

const encoder = new TextEncoder();

function bytes(...parts: (string | number[])[]): Uint8Array {
  const arrays = parts.map((p) => typeof p === "string" ? encoder.encode(p) : new Uint8Array(p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

async function collect(chunks: Uint8Array[], maxBytes?: number): Promise<HostLine[]> {
  const lines: HostLine[] = [];
  for await (const line of readLines(ReadableStream.from(chunks), maxBytes)) lines.push(line);
  return lines;
}

function splitAt(data: Uint8Array, ...cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, data.length]) {
    out.push(data.slice(start, cut));
    start = cut;
  }
  return out;
}

const A = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
const B = '{"jsonrpc":"2.0","method":"notifications/initialized"}';

Deno.test("readLines() reads newline-delimited lines", async () => {
  assert.deepEqual(await collect([bytes(`${A}\n${B}\n`)]), [{ text: A }, { text: B }]);
});

Deno.test("readLines() gives the same lines for every split of the input into chunks", async () => {
  const data = bytes(`${A}\r\n\n${B}\n"é✓😀"\n`);
  const expected = [{ text: A }, { text: B }, { text: '"é✓😀"' }];
  for (let i = 0; i <= data.length; i++) {
    assert.deepEqual(await collect(splitAt(data, i)), expected, `split at ${i}`);
  }
  assert.deepEqual(await collect([...data].map((b) => new Uint8Array([b]))), expected, "byte at a time");
});

Deno.test("readLines() drops the CR of a CRLF line ending", async () => {
  assert.deepEqual(await collect([bytes(`${A}\r\n${B}\r\n`)]), [{ text: A }, { text: B }]);
});

Deno.test("readLines() drops a CR split from its LF across chunks", async () => {
  assert.deepEqual(await collect([bytes(`${A}\r`), bytes(`\n${B}`)]), [{ text: A }, { text: B }]);
});

Deno.test("readLines() keeps a CR that is not at the end of the line", async () => {
  assert.deepEqual(await collect([bytes("a\rb\n")]), [{ text: "a\rb" }]);
});

Deno.test("readLines() skips blank and whitespace-only lines", async () => {
  assert.deepEqual(await collect([bytes(`\n\n${A}\n \t \r\n\r\n\n${B}\n\n`)]), [{ text: A }, { text: B }]);
});

Deno.test("readLines() keeps the whitespace around a line's text", async () => {
  assert.deepEqual(await collect([bytes("  {}  \n")]), [{ text: "  {}  " }]);
});

Deno.test("readLines() reads a last line without a newline", async () => {
  assert.deepEqual(await collect([bytes(`${A}\n${B}`)]), [{ text: A }, { text: B }]);
  assert.deepEqual(await collect([bytes("x"), bytes("y")]), [{ text: "xy" }]);
  assert.deepEqual(await collect([bytes("last\r")]), [{ text: "last" }]);
});

Deno.test("readLines() yields nothing for an empty stream or empty chunks", async () => {
  assert.deepEqual(await collect([]), []);
  assert.deepEqual(await collect([new Uint8Array(0), new Uint8Array(0)]), []);
  assert.deepEqual(await collect([new Uint8Array(0), bytes("a"), new Uint8Array(0), bytes("\n")]), [{
    text: "a",
  }]);
});

Deno.test("readLines() reports invalid UTF-8 and goes on reading", async () => {
  const lines = await collect([bytes(`${A}\n`, [0x7b, 0xff, 0xfe, 0x7d], "\n", `${B}\n`)]);
  assert.deepEqual(lines, [{ text: A }, { error: "The line is not valid UTF-8" }, { text: B }]);
});

Deno.test("readLines() reports a truncated multi-byte character and an overlong encoding", async () => {
  const lines = await collect([bytes([0x61, 0xe2, 0x9c], "\n", [0xc0, 0xaf], "\nok\n")]);
  assert.deepEqual(lines, [
    { error: "The line is not valid UTF-8" },
    { error: "The line is not valid UTF-8" },
    {
      text: "ok",
    },
  ]);
});

Deno.test("readLines() reports invalid UTF-8 in a last line without a newline", async () => {
  assert.deepEqual(await collect([bytes("ok\n", [0xff])]), [{ text: "ok" }, {
    error: "The line is not valid UTF-8",
  }]);
});

Deno.test("readLines() joins a multi-byte UTF-8 character split across chunks", async () => {
  const data = bytes('"😀é"\n');
  // Cut inside the 4-byte emoji (bytes 1..4) and inside the 2-byte é (bytes 5..6).
  assert.deepEqual(await collect(splitAt(data, 2, 3, 4, 6)), [{ text: '"😀é"' }]);
});

Deno.test("readLines() reports an over-long line with a small maxBytes, then reads the next line", async () => {
  const lines = await collect([bytes("12345678901\nshort\n")], 10);
  assert.deepEqual(lines, [{ error: "The line is longer than 10 bytes" }, { text: "short" }]);
});

Deno.test("readLines() reports an over-long line that spans chunks once", async () => {
  const lines = await collect([bytes("123456"), bytes("789"), bytes("0abc"), bytes("def\nok\n")], 10);
  assert.deepEqual(lines, [{ error: "The line is longer than 10 bytes" }, { text: "ok" }]);
});

Deno.test("readLines() accepts a line of exactly maxBytes", async () => {
  assert.deepEqual(await collect([bytes("1234567890\n")], 10), [{ text: "1234567890" }]);
  assert.deepEqual(await collect([bytes("12345"), bytes("67890\n")], 10), [{ text: "1234567890" }]);
});

Deno.test("readLines() reports an over-long last line without a newline", async () => {
  assert.deepEqual(await collect([bytes("ok\n12345678901")], 10), [{ text: "ok" }, {
    error: "The line is longer than 10 bytes",
  }]);
});

Deno.test("readLines() accepts 128 MiB lines by default", () => {
  assert.equal(MAX_LINE_BYTES, 128 * 1024 * 1024);
});

Deno.test("readLines() reads from a direct reader and keeps lines intact across reads", async () => {
  const data = new TextEncoder().encode('{"a":1}\n{"b":"' + "x".repeat(200_000) + '"}\n{"c":3}');
  let offset = 0;
  // A reader that returns small, uneven pieces, reusing nothing the caller may keep.
  const reader = {
    read(buffer: Uint8Array): Promise<number | null> {
      if (offset >= data.length) return Promise.resolve(null);
      const n = Math.min(buffer.length, 7_777, data.length - offset);
      buffer.set(data.subarray(offset, offset + n));
      offset += n;
      return Promise.resolve(n);
    },
  };
  const lines = [];
  for await (const line of readLines(reader)) lines.push(line);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[0], { text: '{"a":1}' });
  assert.equal(JSON.parse((lines[1] as { text: string }).text).b.length, 200_000);
  assert.deepEqual(lines[2], { text: '{"c":3}' });
});

Deno.test("readLines() reads a direct reader into one buffer while no line is in progress, a new one while one is", async () => {
  const pieces = ['{"a":1}\n', '{"b":', "2}\n", '{"c":3}\n'].map((p) => new TextEncoder().encode(p));
  const given: Uint8Array[] = [];
  const reader = {
    read(buffer: Uint8Array): Promise<number | null> {
      const piece = pieces.shift();
      if (piece === undefined) return Promise.resolve(null);
      given.push(buffer);
      // Scribbles over the whole buffer first: a line still held in it would be garbled.
      buffer.fill(0x21);
      buffer.set(piece);
      return Promise.resolve(piece.length);
    },
  };
  const lines = [];
  for await (const line of readLines(reader)) lines.push(line);
  assert.deepEqual(lines, [{ text: '{"a":1}' }, { text: '{"b":2}' }, { text: '{"c":3}' }]);
  assert.equal(given[1], given[0], "read into again after a whole line");
  assert.notEqual(given[2], given[1], "not while the line it holds is unfinished");
  assert.equal(given[3], given[2], "read into again once that line is done");
});
