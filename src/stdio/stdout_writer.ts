/**
 * Writes JSON-RPC lines to the host in order. One write is in flight at a time; the lines that arrive
 * meanwhile go out together in the next one (a burst of notifications costs a few writes, not one
 * each). Writers wait when more than {@linkcode HIGH_WATER_BYTES} are queued: the host's slow reading
 * slows the bridge down instead of filling its memory.
 *
 * `Deno.stdout` is written with `writeSync`, as Node writes to a pipe on Linux: Deno's asynchronous stdio
 * write costs a blocking-pool thread hand-off each (`bench/line_writer_bench.ts`). A write that waited
 * {@linkcode SLOW_WRITE_MS} for the host's full pipe turns the writer asynchronous for good (a stopped event
 * loop would stop the timers). A failed write closes the writer: what the pipe took of it is unknown.
 *
 * @module
 */

import { concatBytes } from "./_concat.ts";
import { encodeUtf8 } from "../text/encode_utf8.ts";

/** A byte sink written to directly, such as `Deno.stdout` (cheaper than a `WritableStream`). */
export interface ByteWriter {
  /** Writes some of the bytes; resolves with how many were written. */
  write(bytes: Uint8Array): Promise<number>;
  /** Writes some of the bytes at once (waiting until the sink takes them); used when present. */
  writeSync?(bytes: Uint8Array): number;
}

/** The line end. */
const LF = 0x0a;

/** Queued bytes above which {@linkcode LineWriter.write} waits for the line to be written. */
export const HIGH_WATER_BYTES = 256 * 1024;

/** How long one synchronous write may wait for the host before the writer goes asynchronous for good. */
export const SLOW_WRITE_MS = 200;

/** Options for {@linkcode LineWriter}. */
export interface LineWriterOptions {
  /** The clock that times synchronous writes, in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** Writes whole lines to a byte stream, batched, with backpressure. */
export class LineWriter {
  #write: (bytes: Uint8Array) => Promise<void>;
  /** Lines not yet handed to the stream, their size, and the writers waiting for them. */
  #queue: Uint8Array[] = [];
  #queued = 0;
  #waiting: (() => void)[] = [];
  /** The running write loop, while there is one. */
  #pumping: Promise<void> | undefined;
  #closed = false;

  /**
   * Creates a writer over a stream (stdout in the bridge).
   *
   * @example Usage
   * ```ts
   * import { LineWriter } from "./stdout_writer.ts";
   * import assert from "node:assert/strict";
   *
   * const chunks: Uint8Array[] = [];
   * const out = new LineWriter(new WritableStream({ write: (c) => void chunks.push(c) }));
   * await out.write('{"jsonrpc":"2.0","method":"x"}');
   * await out.flush();
   * assert.equal(new TextDecoder().decode(chunks[0]), '{"jsonrpc":"2.0","method":"x"}\n');
   * ```
   *
   * @param stream The destination: a `WritableStream`, or a direct writer such as `Deno.stdout`.
   * @param options The clock.
   */
  constructor(stream: WritableStream<Uint8Array> | ByteWriter, options: LineWriterOptions = {}) {
    if (stream instanceof WritableStream) {
      const writer = stream.getWriter();
      this.#write = async (bytes) => {
        await writer.ready;
        await writer.write(bytes);
      };
    } else {
      const now = options.now ?? (() => performance.now());
      let sync = stream.writeSync !== undefined;
      this.#write = async (bytes) => {
        let written = 0;
        while (written < bytes.length) {
          if (sync) {
            const start = now();
            written += stream.writeSync!(bytes.subarray(written));
            if (now() - start >= SLOW_WRITE_MS) sync = false;
            continue;
          }
          written += await stream.write(bytes.subarray(written));
        }
      };
    }
  }

  /**
   * Queues one message. Resolves at once while at most {@linkcode HIGH_WATER_BYTES} wait to be
   * written, else once the line was handed to the stream. A message must not contain a newline
   * (JSON text from `JSON.stringify` or a server never does outside strings).
   *
   * @param text The message text.
   * @returns A promise that settles when there is room for more (it never rejects: a closed host is ignored).
   */
  write(text: string): Promise<void> {
    if (this.#closed) return Promise.resolve();
    // JSON text never needs a raw line break: inside a string it is illegal, outside it is whitespace.
    const line = text.includes("\n") || text.includes("\r") ? text.replace(/[\r\n]/g, "") : text;
    // Encoded with its newline; a large line with encodeInto, which is far cheaper under the V8 flags (text/encode_utf8.ts).
    const bytes = encodeUtf8(line, LF);
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    const wait = this.#queued > HIGH_WATER_BYTES
      ? new Promise<void>((resolve) => this.#waiting.push(resolve))
      : Promise.resolve();
    if (this.#pumping === undefined) this.#pumping = this.#pump();
    return wait;
  }

  /**
   * Waits for every queued line.
   *
   * @returns A promise that settles when the queue is empty.
   */
  flush(): Promise<void> {
    return this.#pumping ?? Promise.resolve();
  }

  /** Writes the queue, batch after batch, until it is empty. */
  async #pump(): Promise<void> {
    // Start after the caller's synchronous work: lines written in the same turn share the first write.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const chunks = this.#queue;
        const size = this.#queued;
        const waiting = this.#waiting;
        this.#queue = [];
        this.#queued = 0;
        this.#waiting = [];
        try {
          await this.#write(concatBytes(chunks, size));
        } catch {
          this.#closed = true;
        }
        for (const resolve of waiting) resolve();
      }
    } finally {
      // A closed stream takes nothing more: whoever still waits is let go.
      if (this.#closed) {
        for (const resolve of this.#waiting) resolve();
        this.#queue = [];
        this.#queued = 0;
        this.#waiting = [];
      }
      this.#pumping = undefined;
    }
  }
}
