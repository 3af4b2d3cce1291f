/**
 * The bytes of one large message (an SSE event, a JSON body), in one buffer that the next one reuses.
 *
 * @module
 */

/** The most one message may gather. */
export const GATHERED_MAX_BYTES = 8 * 1024 * 1024;

/** The largest buffer kept, with its pages. */
export const SPARE_BUFFER_BYTES = 4 * 1024 * 1024;

/** One buffer waits between messages. */
let spare: ArrayBuffer | undefined;

/**
 * A buffer for one message; {@linkcode GatheredBytes.release} it after. Past 64 KiB it is resizable and grows in
 * place; smaller, it is plain (a reservation costs a system call).
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
    const size = Math.min(initialBytes, GATHERED_MAX_BYTES);
    this.#buffer = spare ?? (size > PLAIN_MAX_BYTES ? resizable(size) : new ArrayBuffer(size));
    spare = undefined;
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
    if (needed > this.#buffer.byteLength) {
      if (this.#buffer.resizable) this.#buffer.resize(needed);
      else {
        this.#buffer = resizable(needed);
        const view = new Uint8Array(this.#buffer);
        view.set(this.#view.subarray(0, this.#length));
        this.#view = view;
      }
    }
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

  /** Done: the larger of two buffers waits; the other's pages, or a too large one's, go back. */
  release(): void {
    const buffer = this.#buffer;
    let other: ArrayBuffer | undefined = buffer;
    if (buffer.byteLength > SPARE_BUFFER_BYTES) buffer.resize(0);
    if (spare === undefined || spare.byteLength < buffer.byteLength) {
      other = spare;
      spare = buffer;
    }
    if (other?.resizable) other.resize(0);
    this.#buffer = EMPTY;
    this.#view = new Uint8Array(0);
    this.#length = 0;
  }
}

/** A released one's buffer. */
const EMPTY = new ArrayBuffer(0);

/** The largest buffer made plain. */
const PLAIN_MAX_BYTES = 64 * 1024;

function resizable(size: number): ArrayBuffer {
  return new ArrayBuffer(size, { maxByteLength: GATHERED_MAX_BYTES });
}
