/**
 * UTF-8 encoding of a large text into a buffer allocated here. Under the recommended V8 flags (a young
 * generation of 2 MiB at most), the runtime's `TextEncoder.encode` of a large text costs far more than the
 * encoding itself: the buffer it hands back is made outside the JavaScript heap, and a 1 MiB one sets off
 * the collector (measured for a 1 MiB message: 3 to 10 times the time of `encodeInto` into a `Uint8Array`,
 * `bench/encode_utf8_bench.ts`, which `deno task bench` runs with those flags; through the bridge, about
 * 2 ms less CPU per MiB of tool result). It is what every large message paid on its way to the host.
 * Without the flags it is the other way round for a large ASCII text (about 0.1 ms against 0.25 ms): the
 * bridge is meant to run with them. A short text goes through `encode`, which is as fast for it.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Texts shorter than this (UTF-16 code units) go through `TextEncoder.encode`. */
const SHORT_TEXT_UNITS = 16 * 1024;

/** The most UTF-8 bytes one UTF-16 code unit can take (a lone surrogate becomes U+FFFD: 3 bytes). */
const MAX_BYTES_PER_UNIT = 3;

/**
 * Encodes `text` as UTF-8, optionally followed by one more byte (the newline of a line), in one buffer.
 * A large text of ASCII only is encoded into a buffer of its exact size; any other is finished in a
 * buffer large enough for the worst case, then trimmed.
 *
 * @example Usage
 * ```ts
 * import { encodeUtf8 } from "./encode_utf8.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeUtf8("hi", 0x0a), new Uint8Array([0x68, 0x69, 0x0a]));
 * assert.deepEqual(encodeUtf8("é"), new TextEncoder().encode("é"));
 * ```
 *
 * @param text The text (a lone surrogate is encoded as U+FFFD, as `TextEncoder` does).
 * @param terminator An ASCII byte to append after the text (the newline of a line).
 * @returns The bytes.
 * @throws {RangeError} When `terminator` is not an ASCII byte.
 */
export function encodeUtf8(text: string, terminator?: number): Uint8Array {
  if (terminator !== undefined && !(Number.isInteger(terminator) && terminator >= 0 && terminator <= 0x7f)) {
    throw new RangeError(
      `Cannot end a text with byte ${terminator}: only an ASCII byte (0 to 127) is one character`,
    );
  }
  // A short text is as cheap either way, or cheaper with `encode` (measured without the V8 flags).
  if (text.length < SHORT_TEXT_UNITS) {
    return encoder.encode(terminator === undefined ? text : text + String.fromCharCode(terminator));
  }
  const extra = terminator === undefined ? 0 : 1;
  let out = new Uint8Array(text.length + extra);
  const { read, written: ascii } = encoder.encodeInto(text, out.subarray(0, text.length));
  let written = ascii;
  if (read < text.length) {
    // Not ASCII only: the rest goes into a buffer large enough for any text of its length.
    const wide = new Uint8Array(written + (text.length - read) * MAX_BYTES_PER_UNIT + extra);
    wide.set(out.subarray(0, written));
    written += encoder.encodeInto(text.slice(read), wide.subarray(written, wide.length - extra)).written;
    out = wide;
  }
  if (terminator !== undefined) out[written++] = terminator;
  if (written === out.length) return out;
  // A buffer much larger than its bytes is not kept alive by them.
  return out.length - written > 4096 ? out.slice(0, written) : out.subarray(0, written);
}
