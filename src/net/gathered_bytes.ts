/**
 * The bytes of one large message (an SSE event, a JSON body), gathered in one buffer that the next one reuses:
 * no copy of each read for a collection to free.
 *
 * @module
 */

/** The largest buffer kept for the next message; a larger one is let go once its message is over. */
export const SPARE_BUFFER_BYTES = 4 * 1024 * 1024;

/** One buffer waits between messages (those read at the same time each get their own). */
let spare: Uint8Array | undefined;

/**
 * A growing buffer for the bytes of one message; {@linkcode GatheredBytes.release} it when the message is
 * over.
 *
 * @example Usage
 * ```ts
 * import { GatheredBytes } from "./gathered_bytes.ts";
 * import assert from "node:assert/strict";
 *
 * const gathered = new GatheredBytes(4);
 * gathered.push(new TextEncoder().encode("hello "));
 * gathered.push(new TextEncoder().encode("world"));
 * assert.equal(new TextDecoder().decode(gathered.bytes()), "hello world");
 * gathered.release();
 * ```
 */
export class GatheredBytes {
  #buffer: Uint8Array;
  #length = 0;

  /**
   * Takes the waiting buffer, or makes one of `initialBytes`.
   *
   * @param initialBytes The size of a new buffer (it grows as bytes come).
   */
  constructor(initialBytes: number) {
    if (spare !== undefined && spare.length >= initialBytes) {
      this.#buffer = spare;
      spare = undefined;
    } else {
      this.#buffer = new Uint8Array(initialBytes);
    }
  }

  /** How many bytes were added. */
  get length(): number {
    return this.#length;
  }

  /**
   * Adds a copy of `bytes`, growing the buffer (twice as large each time) when they do not fit.
   *
   * @param bytes The next bytes (read only during the call).
   */
  push(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > this.#buffer.length) {
      // Moved, not copied into a new buffer: the old memory is freed now, not at the next collection.
      const size = Math.max(needed, this.#buffer.length * 2);
      this.#buffer = new Uint8Array((this.#buffer.buffer as ArrayBuffer).transfer(size));
    }
    this.#buffer.set(bytes, this.#length);
    this.#length = needed;
  }

  /**
   * The bytes added, as a view.
   *
   * @returns A view valid until the next `push` or `release`.
   */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /** Done with the bytes: the buffer waits for the next message, unless it is larger than the spare size. */
  release(): void {
    if (
      this.#buffer.length <= SPARE_BUFFER_BYTES &&
      (spare === undefined || spare.length < this.#buffer.length)
    ) {
      spare = this.#buffer;
    }
    this.#buffer = new Uint8Array(0);
    this.#length = 0;
  }
}
