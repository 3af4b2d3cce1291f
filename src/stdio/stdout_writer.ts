/**
 * Writes JSON-RPC lines to the host, one at a time and in order, waiting when the host reads slowly.
 *
 * @module
 */

/** Writes whole lines to a byte stream with backpressure. */
export class LineWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
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
   * @param stream The destination.
   */
  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
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
        await this.#writer.ready;
        await this.#writer.write(bytes);
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
