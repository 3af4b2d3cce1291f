/**
 * The bytes of one large message (an SSE event, a JSON body), gathered in one buffer that the next one reuses:
 * no copy of each read for a collection to free.
 *
 * @module
 */

/** The most one message may gather (its buffer's reserved size: only what is written is memory). */
export const GATHERED_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The largest buffer kept, its pages as they are, for the next message; a larger one gives its pages back
 * once its message is over.
 */
export const SPARE_BUFFER_BYTES = 4 * 1024 * 1024;

/** One buffer waits between messages (those read at the same time each get their own). */
let spare: ArrayBuffer | undefined;

/**
 * A growing buffer for the bytes of one message, at most {@linkcode GATHERED_MAX_BYTES};
 * {@linkcode GatheredBytes.release} it when the message is over.
 *
 * The buffer is a resizable `ArrayBuffer`: it grows in place, page by page, as bytes come. No copy into a
 * buffer twice as large, no old one for the allocator to keep: a 1 MiB message costs 1 MiB (measured: a
 * doubling buffer held 2 MiB for it, and 3 MiB while it moved).
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
  #buffer: ArrayBuffer;
  /** Tracks the buffer's length as it grows. */
  #view: Uint8Array;
  #length = 0;

  /**
   * Takes the waiting buffer, or makes one of `initialBytes`.
   *
   * @param initialBytes The size of a new buffer (it grows as bytes come), at most
   *   {@linkcode GATHERED_MAX_BYTES}.
   */
  constructor(initialBytes: number) {
    if (spare !== undefined) {
      this.#buffer = spare;
      spare = undefined;
    } else {
      this.#buffer = new ArrayBuffer(Math.min(initialBytes, GATHERED_MAX_BYTES), {
        maxByteLength: GATHERED_MAX_BYTES,
      });
    }
    this.#view = new Uint8Array(this.#buffer);
  }

  /** How many bytes were added. */
  get length(): number {
    return this.#length;
  }

  /**
   * Adds a copy of `bytes`, growing the buffer in place when they do not fit.
   *
   * @param bytes The next bytes (read only during the call).
   * @throws {RangeError} Past {@linkcode GATHERED_MAX_BYTES} in all (the callers stop gathering before).
   */
  push(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > GATHERED_MAX_BYTES) {
      throw new RangeError(`Cannot gather ${needed} bytes: the most is ${GATHERED_MAX_BYTES}`);
    }
    if (needed > this.#buffer.byteLength) this.#buffer.resize(needed);
    this.#view.set(bytes, this.#length);
    this.#length = needed;
  }

  /**
   * The bytes added, as a view.
   *
   * @returns A view valid until the next `push` or `release`.
   */
  bytes(): Uint8Array {
    return this.#view.subarray(0, this.#length);
  }

  /**
   * Done with the bytes: the buffer waits for the next message (the larger of two waits), its pages as they
   * are up to {@linkcode SPARE_BUFFER_BYTES}; the pages of a larger one, or of one not kept, go back now.
   */
  release(): void {
    const buffer = this.#buffer;
    if (buffer.byteLength > SPARE_BUFFER_BYTES) buffer.resize(0);
    if (spare === undefined || spare.byteLength < buffer.byteLength) {
      spare?.resize(0);
      spare = buffer;
    } else {
      // Not kept: its pages go back now, not when a collection finds the buffer.
      buffer.resize(0);
    }
    this.#buffer = EMPTY;
    this.#view = new Uint8Array(0);
    this.#length = 0;
  }
}

/** What a released {@linkcode GatheredBytes} holds: nothing, and it cannot grow. */
const EMPTY = new ArrayBuffer(0, { maxByteLength: 0 });
