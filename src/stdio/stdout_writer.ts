/**
 * Writes JSON-RPC lines to the host, one at a time and in order, waiting when the host reads slowly.
 *
 * @module
 */

/** A byte sink written to directly, such as `Deno.stdout` (cheaper than a `WritableStream`). */
export interface ByteWriter {
  /** Writes some of the bytes; resolves with how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Writes whole lines to a byte stream with backpressure. */
export class LineWriter {
  #write: (bytes: Uint8Array) => Promise<void>;
  #encoder = new TextEncoder();
  #tail: Promise<void> = Promise.resolve();
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
   * assert.equal(new TextDecoder().decode(chunks[0]), '{"jsonrpc":"2.0","method":"x"}\n');
   * ```
   *
   * @param stream The destination: a `WritableStream`, or a direct writer such as `Deno.stdout`.
   */
  constructor(stream: WritableStream<Uint8Array> | ByteWriter) {
    if (stream instanceof WritableStream) {
      const writer = stream.getWriter();
      this.#write = async (bytes) => {
        await writer.ready;
        await writer.write(bytes);
      };
    } else {
      this.#write = async (bytes) => {
        let written = 0;
        while (written < bytes.length) written += await stream.write(bytes.subarray(written));
      };
    }
  }

  /**
   * Queues one message; resolves once it has been handed to the stream. A message must not contain
   * a newline (JSON text from `JSON.stringify` or a server never does outside strings).
   *
   * @param text The message text.
   * @returns A promise that settles when the line is written (it never rejects: a closed host is ignored).
   */
  write(text: string): Promise<void> {
    // JSON text never needs a raw line break: inside a string it is illegal, outside it is whitespace.
    const line = text.includes("\n") || text.includes("\r") ? text.replace(/[\r\n]/g, "") : text;
    const bytes = this.#encoder.encode(line + "\n");
    const next = this.#tail.then(async () => {
      if (this.#closed) return;
      try {
        await this.#write(bytes);
      } catch {
        this.#closed = true;
      }
    });
    this.#tail = next;
    return next;
  }

  /**
   * Waits for every queued line.
   *
   * @returns A promise that settles when the queue is empty.
   */
  flush(): Promise<void> {
    return this.#tail;
  }
}
