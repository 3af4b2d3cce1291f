/**
 * The bytes of one large message (an SSE event, a JSON body), gathered in one buffer that the next one reuses:
 * no copy of each read for a collection to free.
 *
 * @module
 */

/** The most one message may gather (reserved: only what is written costs memory). */
export const GATHERED_MAX_BYTES = 8 * 1024 * 1024;

/** The largest buffer kept, with its pages, for the next message. */
export const SPARE_BUFFER_BYTES = 4 * 1024 * 1024;

/** One buffer waits between messages (those read at once each get their own). */
let spare: ArrayBuffer | undefined;

/**
 * A buffer for the bytes of one message; {@linkcode GatheredBytes.release} it when the message is over. It is
 * resizable and grows in place: a 1 MiB message costs 1 MiB (one doubled by copies held 2, and 3 while moving).
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
  #view: Uint8Array;
  #length = 0;

  /**
   * Takes the waiting buffer, or makes one of `initialBytes`.
   *
   * @param initialBytes The size of a new buffer.
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
   * Adds a copy of `bytes`.
   *
   * @param bytes The next bytes (read only during the call).
   * @throws {RangeError} Past {@linkcode GATHERED_MAX_BYTES} in all.
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

  /** Done: the larger of two buffers waits; the pages of the other, or of one too large, go back now. */
  release(): void {
    const buffer = this.#buffer;
    if (buffer.byteLength > SPARE_BUFFER_BYTES) buffer.resize(0);
    if (spare === undefined || spare.byteLength < buffer.byteLength) {
      spare?.resize(0);
      spare = buffer;
    } else {
      buffer.resize(0);
    }
    this.#buffer = EMPTY;
    this.#view = new Uint8Array(0);
    this.#length = 0;
  }
}

/** What a released {@linkcode GatheredBytes} holds. */
const EMPTY = new ArrayBuffer(0, { maxByteLength: 0 });
