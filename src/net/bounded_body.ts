/**
 * Reading a response body with a size limit: past it the body is cancelled and the caller gets an
 * error, so a hostile server cannot make the bridge buffer without bound.
 *
 * @module
 */

import { BYTE_READER_BUFFER_BYTES, openByteReader } from "./byte_reader.ts";
import { GatheredBytes } from "./gathered_bytes.ts";

/** The default limit for one message, JSON body or SSE event: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A body was larger than the limit; the rest of it was not read. */
export class BodyTooLargeError extends Error {
  /** The limit in bytes. */
  readonly limit: number;
  /**
   * @param what What was too large: `the response from example.com`.
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
 * A body read whole: its text when short and of a declared length, else in one reused buffer
 * ({@linkcode GatheredBytes}, to be released), or past {@linkcode GATHER_MAX_BYTES} as the copies of its reads.
 */
export type BodyBytes =
  | { gathered: GatheredBytes; parts?: undefined; text?: undefined }
  | { gathered?: undefined; parts: Uint8Array[]; text?: undefined }
  | { gathered?: undefined; parts?: undefined; text: string };

/** The largest body gathered in one buffer; a larger one is kept as its reads. */
export const GATHER_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Reads a body whole ({@linkcode BodyBytes}), at most `maxBytes` of it. Release `gathered` when done with it.
 *
 * @example Usage
 * ```ts
 * import { readBoundedBytes } from "./bounded_body.ts";
 * import assert from "node:assert/strict";
 *
 * const body = await readBoundedBytes(new Response("hello"), 10, "the body");
 * assert.equal(new TextDecoder().decode(body.gathered?.bytes()), "hello");
 * body.gathered?.release();
 * ```
 *
 * @param res The response.
 * @param maxBytes The limit.
 * @param what What the body is, for the error (`the response from example.com`).
 * @returns The bytes.
 * @throws {BodyTooLargeError} Past the limit (the body is cancelled, none of it kept).
 */
export async function readBoundedBytes(res: Response, maxBytes: number, what: string): Promise<BodyBytes> {
  if (!res.body) return { parts: [] };
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body.cancel().catch(() => {});
    throw new BodyTooLargeError(what, maxBytes);
  }
  // A compressed body declares its compressed length.
  const exact = declared >= 0 && !res.headers.has("content-encoding");
  // Short, held to its length by the runtime's fetch (a Response made in JS is not) with no transfer
  // coding (which wins over a length): in one op.
  if (
    exact && declared < BYTE_READER_BUFFER_BYTES && res.type === "basic" &&
    !res.headers.has("transfer-encoding")
  ) {
    return { text: await res.text() };
  }
  // Into one buffer, read with one that grows (not a new 64 KiB one for every read).
  const reader = openByteReader(res.body);
  let gathered: GatheredBytes | undefined = new GatheredBytes(
    exact ? Math.max(Math.min(declared, GATHER_MAX_BYTES), 1) : BYTE_READER_BUFFER_BYTES,
  );
  let parts: Uint8Array[] | undefined;
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
      if (gathered !== undefined && total > GATHER_MAX_BYTES) {
        // Larger than is worth a buffer: the copies of the reads, as they came.
        parts = [gathered.bytes().slice()];
        gathered.release();
        gathered = undefined;
      }
      // Copied: the reader's buffer is read into again.
      if (gathered !== undefined) gathered.push(value);
      else parts!.push(value.slice());
    }
  } finally {
    if (!finished) {
      gathered?.release();
      await reader.cancel();
    }
  }
  return gathered !== undefined ? { gathered } : { parts: parts! };
}

/**
 * Decodes a body read by {@linkcode readBoundedBytes} as UTF-8 and releases its buffer.
 *
 * @example Usage
 * ```ts
 * import { decodeBody, readBoundedBytes } from "./bounded_body.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeBody(await readBoundedBytes(new Response("héllo"), 10, "the body")), "héllo");
 * ```
 *
 * @param body The body.
 * @returns The text.
 */
export function decodeBody(body: BodyBytes): string {
  if (body.text !== undefined) return body.text;
  if (body.gathered !== undefined) {
    try {
      return new TextDecoder().decode(body.gathered.bytes());
    } finally {
      body.gathered.release();
    }
  }
  const decoder = new TextDecoder();
  let text = "";
  for (let i = 0; i < body.parts.length; i++) {
    text += decoder.decode(body.parts[i], { stream: true });
    body.parts[i] = new Uint8Array(0);
  }
  return text + decoder.decode();
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
 * @throws {BodyTooLargeError} Past the limit (the body is cancelled, none of it kept).
 */
export async function readBoundedText(res: Response, maxBytes: number, what: string): Promise<string> {
  return decodeBody(await readBoundedBytes(res, maxBytes, what));
}
