/**
 * Benchmarks of gathering one large message (a 1 MiB SSE event or JSON body) from 64 KiB reads:
 * `GatheredBytes`, a resizable buffer that grows in place, against the buffer it replaced, which doubled
 * by `ArrayBuffer.prototype.transfer` (a copy into a new buffer twice as large, the old one freed). Each
 * message is released, so the next one starts from the waiting buffer, as in the bridge.
 *
 * Memory is what the change is for (a 1 MiB message holds 1 MiB, not 2 MiB and 3 MiB while it moved):
 * `deno task bench` measures that end to end; this shows what the time per message is.
 *
 * @module
 */

import { GatheredBytes } from "../src/net/gathered_bytes.ts";

const READ = new Uint8Array(64 * 1024).fill(0x61);
const READS = 16;

/** The replaced design, kept here to compare with: twice as large at each growth, moved by `transfer`. */
class DoublingBytes {
  static spare: Uint8Array | undefined;
  #buffer: Uint8Array;
  #length = 0;
  constructor(initialBytes: number) {
    this.#buffer = DoublingBytes.spare ?? new Uint8Array(initialBytes);
    DoublingBytes.spare = undefined;
  }
  push(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > this.#buffer.length) {
      const size = Math.max(needed, this.#buffer.length * 2);
      this.#buffer = new Uint8Array((this.#buffer.buffer as ArrayBuffer).transfer(size));
    }
    this.#buffer.set(bytes, this.#length);
    this.#length = needed;
  }
  release(): void {
    if (this.#buffer.length <= 4 * 1024 * 1024) DoublingBytes.spare = this.#buffer;
    this.#buffer = new Uint8Array(0);
    this.#length = 0;
  }
}

/** What both designs offer. */
interface Gatherer {
  push(bytes: Uint8Array): void;
  release(): void;
}

/** `count` messages a little over 1 MiB each (a 1 MiB tool result and its envelope), read at once. */
function gather(make: (initialBytes: number) => Gatherer, count: number): void {
  const messages = Array.from({ length: count }, () => make(128 * 1024));
  for (let i = 0; i < READS; i++) for (const message of messages) message.push(READ);
  for (const message of messages) {
    message.push(READ.subarray(0, 100));
    message.release();
  }
}

const designs: [string, (initialBytes: number) => Gatherer][] = [
  ["a buffer doubled by transfer (replaced)", (n) => new DoublingBytes(n)],
  ["GatheredBytes (resizable, grows in place)", (n) => new GatheredBytes(n)],
];

for (
  const [count, what] of [[1, "1 MiB message"], [
    2,
    "two 1 MiB messages at once (the second in a new buffer)",
  ]] as const
) {
  for (const [index, [design, make]] of designs.entries()) {
    Deno.bench({
      name: `${what} from 64 KiB reads: ${design}`,
      group: `gather ${count}`,
      baseline: index === 0,
      fn: () => gather(make, count),
    });
  }
}
