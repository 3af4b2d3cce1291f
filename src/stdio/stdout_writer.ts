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
const LINE_END = Uint8Array.of(LF);

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
  /**
   * Writes now, synchronously, while the sink allows it: `false` when it does not (the bytes were not
   * touched); throws when the write failed. Only for a sink with `writeSync`.
   */
  #writeNow: ((bytes: Uint8Array) => boolean) | undefined;
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
      /** Writes at once what it can while the sink is quick; returns how much it wrote. */
      const writeNow = (bytes: Uint8Array, from: number): number => {
        let written = from;
        while (sync && written < bytes.length) {
          const start = now();
          written += stream.writeSync!(bytes.subarray(written));
          if (now() - start >= SLOW_WRITE_MS) sync = false;
        }
        return written;
      };
      this.#write = async (bytes) => {
        let written = writeNow(bytes, 0);
        while (written < bytes.length) written += await stream.write(bytes.subarray(written));
      };
      if (sync) {
        this.#writeNow = (bytes) => {
          if (!sync) return false;
          const written = writeNow(bytes, 0);
          if (written === bytes.length) return true;
          // Gone asynchronous in the middle: the rest goes through the queue, before anything else.
          this.#queue.unshift(bytes.slice(written));
          this.#queued += bytes.length - written;
          return true;
        };
      }
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
    return this.#enqueue(encodeUtf8(line, LF));
  }

  #enqueue(bytes: Uint8Array): Promise<void> {
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    const wait = this.#queued > HIGH_WATER_BYTES
      ? new Promise<void>((resolve) => this.#waiting.push(resolve))
      : Promise.resolve();
    if (this.#pumping === undefined) this.#pumping = this.#pump();
    return wait;
  }

  /**
   * Writes one message given as UTF-8 bytes without a line break, read only during the call: at once when
   * nothing waits and the sink writes synchronously, else a copy goes in the queue.
   *
   * @example Usage
   * ```ts
   * import { LineWriter } from "./stdout_writer.ts";
   * import assert from "node:assert/strict";
   *
   * let text = "";
   * const out = new LineWriter(new WritableStream({ write: (c) => void (text += new TextDecoder().decode(c)) }));
   * await out.writeBytes(new TextEncoder().encode('{"id":1}'));
   * await out.flush();
   * assert.equal(text, '{"id":1}\n');
   * ```
   *
   * @param bytes The message, valid UTF-8 with no CR or LF.
   * @returns A promise that settles when there is room for more (it never rejects: a closed host is ignored).
   */
  writeBytes(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#writeNow !== undefined && this.#pumping === undefined && this.#queue.length === 0) {
      try {
        if (this.#writeNow(bytes)) {
          // The bytes are out, or the writer went asynchronous and what is left of them waits first in the
          // queue (then the line end cannot be written now either): the line end follows them.
          if (!this.#writeNow(LINE_END)) {
            this.#queue.push(LINE_END);
            this.#queued += 1;
          }
          if (this.#queue.length === 0) return Promise.resolve();
          this.#pumping = this.#pump();
          return this.#pumping;
        }
      } catch {
        this.#closed = true;
        return Promise.resolve();
      }
    }
    const line = new Uint8Array(bytes.length + 1);
    line.set(bytes);
    line[bytes.length] = LF;
    return this.#enqueue(line);
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
