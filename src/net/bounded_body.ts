/**
 * Reading a response body with a size limit: past the limit the body is cancelled and the caller
 * gets an error, so a hostile server cannot make the bridge buffer without bound.
 *
 * @module
 */

import { BYTE_READER_BUFFER_BYTES, openByteReader } from "./byte_reader.ts";

/** The default limit for one message, JSON body or SSE event: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A body was larger than the limit; the rest of it was not read. */
export class BodyTooLargeError extends Error {
  /** The limit in bytes. */
  readonly limit: number;
  /**
   * @param what What was too large, e.g. `the response to "tools/list" from example.com`.
   * @param limit The limit in bytes.
   */
  constructor(what: string, limit: number) {
    super(`${what[0]!.toUpperCase()}${what.slice(1)} is larger than ${formatBytes(limit)}`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

/**
 * A byte count in words: `64 MiB`, `512 KiB`, `100 bytes`.
 *
 * @example Usage
 * ```ts
 * import { formatBytes } from "./bounded_body.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatBytes(64 * 1024 * 1024), "64 MiB");
 * assert.equal(formatBytes(1536), "1.5 KiB");
 * ```
 *
 * @param bytes The count.
 * @returns The words.
 */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [[1024 ** 3, "GiB"], [1024 ** 2, "MiB"], [1024, "KiB"]];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Reads a body as UTF-8 text, at most `maxBytes` of it.
 *
 * @example Usage
 * ```ts
 * import { readBoundedText } from "./bounded_body.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await readBoundedText(new Response("hello"), 10, "the body"), "hello");
 * await assert.rejects(readBoundedText(new Response("hello"), 3, "the body"), /larger than 3 bytes/);
 * ```
 *
 * @param res The response.
 * @param maxBytes The limit.
 * @param what What the body is, for the error (`the metadata at https://…`).
 * @returns The text.
 * @throws {BodyTooLargeError} Past the limit (the body is cancelled).
 */
export async function readBoundedText(res: Response, maxBytes: number, what: string): Promise<string> {
  if (!res.body) return "";
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body.cancel().catch(() => {});
    throw new BodyTooLargeError(what, maxBytes);
  }
  // Into one buffer, the size of a declared length (most answers declare theirs), else one that grows as
  // reads fill it: not a new 64 KiB buffer for every read, which the runtime gives a reader that brings none.
  // A compressed body declares its compressed length, and is read decompressed: its buffer grows too.
  const fits = declared >= 0 && declared < BYTE_READER_BUFFER_BYTES && !res.headers.has("content-encoding");
  const reader = fits
    ? openByteReader(res.body, Math.max(declared, 1), Math.max(declared, 1))
    : openByteReader(res.body);
  // The bytes are kept as they came (outside the JavaScript heap) and decoded once at the end: a
  // body refused at the limit never costs more than the limit.
  const chunks: (Uint8Array | undefined)[] = [];
  let total = 0;
  let finished = false;
  try {
    while (true) {
      const value = await reader.read();
      if (value === undefined) {
        finished = true;
        break;
      }
      total += value.byteLength;
      if (total > maxBytes) throw new BodyTooLargeError(what, maxBytes);
      // Copied: the reader's buffer is read into again.
      chunks.push(value.slice());
    }
  } finally {
    if (!finished) await reader.cancel();
  }
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const decoder = new TextDecoder();
  let text = "";
  for (let i = 0; i < chunks.length; i++) {
    text += decoder.decode(chunks[i], { stream: true });
    chunks[i] = undefined;
  }
  return text + decoder.decode();
}
