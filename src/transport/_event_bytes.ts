/**
 * The bytes of one large event, gathered in one buffer that the next large event reuses (private helper of
 * the transports). A megabyte answer then costs no new memory once the first one came: not a copy of each
 * read, kept for a collection to free, nor the text and its encoding again.
 *
 * @module
 */

/** The largest buffer kept for the next event; a larger one is let go once its event is over. */
export const SPARE_EVENT_BUFFER_BYTES = 4 * 1024 * 1024;

/** One buffer waits between events (streams that read large events at the same time each get their own). */
let spare: Uint8Array | undefined;

/** A growing buffer for the bytes of one event; {@linkcode EventBytes.release} it when the event is over. */
export class EventBytes {
  #buffer: Uint8Array;
  #length = 0;

  /** Takes the waiting buffer, or makes one of `initialBytes`. */
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

  /** Adds a copy of `bytes`, growing the buffer (twice as large each time) when they do not fit. */
  push(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length = needed;
  }

  /** The bytes added, as a view: valid until the next `push` or `release`. */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /** Done with the bytes: the buffer waits for the next event, unless it is larger than the spare size. */
  release(): void {
    if (
      this.#buffer.length <= SPARE_EVENT_BUFFER_BYTES &&
      (spare === undefined || spare.length < this.#buffer.length)
    ) {
      spare = this.#buffer;
    }
    this.#buffer = new Uint8Array(0);
    this.#length = 0;
  }
}
