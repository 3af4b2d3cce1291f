/**
 * Splits the host's byte stream into JSON-RPC lines.
 *
 * @module
 */

import { concatBytes } from "./_concat.ts";

/** One line from the host: its text, or why it could not be read. */
export type HostLine = { text: string } | { error: string };

/** A byte source read directly, such as `Deno.stdin` (cheaper than a `ReadableStream`). */
export interface ByteReader {
  /** Reads into the buffer; resolves with the byte count, or `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
}

async function* chunks(
  source: ReadableStream<Uint8Array> | ByteReader,
  free: () => boolean,
): AsyncGenerator<Uint8Array> {
  if (source instanceof ReadableStream) {
    yield* source;
    return;
  }
  let buffer: Uint8Array | undefined;
  while (true) {
    // Reused unless the line being assembled keeps views into it.
    if (buffer === undefined || !free()) buffer = new Uint8Array(64 * 1024);
    const n = await source.read(buffer);
    if (n === null) return;
    if (n > 0) yield buffer.subarray(0, n);
  }
}

/** The longest line accepted (bytes); a longer one is discarded and reported. */
export const MAX_LINE_BYTES = 128 * 1024 * 1024;

/**
 * Reads newline-delimited lines from a byte stream. Blank lines are skipped, a trailing `\r` is
 * dropped, invalid UTF-8 and over-long lines are reported as errors, and reading goes on.
 *
 * @example Usage
 * ```ts
 * import { readLines } from "./line_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const stream = ReadableStream.from([new TextEncoder().encode('{"a":1}\n\n{"b"'), new TextEncoder().encode(":2}\n")]);
 * const lines = [];
 * for await (const line of readLines(stream)) lines.push(line);
 * assert.deepEqual(lines, [{ text: '{"a":1}' }, { text: '{"b":2}' }]);
 * ```
 *
 * @param stream The host's stdin: a `ReadableStream`, or a direct reader such as `Deno.stdin`.
 * @param maxBytes The longest line accepted.
 * @returns The lines, until the stream ends.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array> | ByteReader,
  maxBytes: number = MAX_LINE_BYTES,
): AsyncGenerator<HostLine> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let parts: Uint8Array[] = [];
  let total = 0;
  let discarding = false;
  const finish = (bytes: Uint8Array): HostLine | undefined => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, end));
    } catch {
      return { error: "The line is not valid UTF-8" };
    }
    return text.trim() === "" ? undefined : { text };
  };
  for await (const chunk of chunks(stream, () => parts.length === 0)) {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!discarding) {
        if (total + (end - start) > maxBytes) {
          discarding = true;
          parts = [];
          total = 0;
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          total += end - start;
        }
      }
      if (nl === -1) break;
      if (discarding) {
        discarding = false;
        yield { error: `The line is longer than ${maxBytes} bytes` };
      } else {
        const line = finish(concatBytes(parts, total));
        if (line) yield line;
      }
      parts = [];
      total = 0;
      start = nl + 1;
    }
    // subarray views keep the chunk alive, which is fine: it is the line being assembled.
  }
  if (discarding) yield { error: `The line is longer than ${maxBytes} bytes` };
  else if (total > 0) {
    const line = finish(concatBytes(parts, total));
    if (line) yield line;
  }
}
