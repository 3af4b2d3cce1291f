/**
 * A check of one JSON-RPC result response in its UTF-8 bytes, without decoding it: what lets a large answer go
 * from the server to the host as the bytes it came in (no text, no parsed value, no new encoding: for a
 * 1 MiB tool result those are three megabyte-sized objects, each set to survive a collection). Pure.
 *
 * The check is strict where the text path would not notice: anything it does not fully understand
 * (an error response, a request, an escaped or repeated member name, a line break, a byte that is not
 * UTF-8, a `resultType` that is not a string, nesting past {@linkcode MAX_SCAN_DEPTH}) is not refused but
 * left to the text path
 * ({@linkcode parseMessage}), which decides as it always did.
 *
 * @module
 */

import type { JsonRpcId } from "./message.ts";

/** What a scan found in a result response. */
export interface ScannedResponse {
  /** The id of the request it answers. */
  id: JsonRpcId;
  /** `result.resultType`, when the result has one and it is a string (2026-07-28). */
  resultType?: string;
}

/** The deepest nesting the scan follows; deeper messages take the text path. */
export const MAX_SCAN_DEPTH = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const encoder = new TextEncoder();
const TOP_KEYS = ["jsonrpc", "id", "result", "error", "method"].map((k) => encoder.encode(k));
const [JSONRPC, ID, RESULT, ERROR, METHOD] = [0, 1, 2, 3, 4];
const RESULT_KEYS = [encoder.encode("resultType")];
const VERSION = encoder.encode('"2.0"');
const TRUE = encoder.encode("true");
const FALSE = encoder.encode("false");
const NULL = encoder.encode("null");

/**
 * Scans the bytes of one JSON-RPC message and returns its id when it is a result response the bridge may
 * pass on as it is: one JSON object, `"jsonrpc": "2.0"`, a string or finite number `id`, a `result` and no
 * `error` or `method`; valid JSON and valid UTF-8 throughout, with no line break (the host reads lines).
 * For such bytes, decoding and {@linkcode parseMessage} would find a response with the same id, and
 * encoding the text again would give back the same bytes.
 *
 * @example Usage
 * ```ts
 * import { scanResponse } from "./scan_response.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode('{"jsonrpc":"2.0","id":7,"result":{"content":[]}}');
 * assert.deepEqual(scanResponse(bytes), { id: 7 });
 * assert.equal(scanResponse(new TextEncoder().encode('{"jsonrpc":"2.0","id":7,"error":{}}')), undefined);
 * ```
 *
 * @param bytes The message, without its line terminator.
 * @returns The id (and `result.resultType`), or `undefined`: not such a response, or not one the scan is
 *   sure of; the text path decides.
 */
export function scanResponse(bytes: Uint8Array): ScannedResponse | undefined {
  const scan = new Scan(bytes);
  const top = scan.object(TOP_KEYS, true);
  scan.space();
  if (top === undefined || scan.i !== bytes.length) return undefined;
  const version = top[JSONRPC];
  if (version === undefined || !sameBytes(bytes, version, VERSION)) return undefined;
  if (top[ERROR] !== undefined || top[METHOD] !== undefined || top[RESULT] === undefined) return undefined;
  const idSpan = top[ID];
  if (idSpan === undefined) return undefined;
  const first = bytes[idSpan[0]]!;
  if (first !== QUOTE && first !== 0x2d && !(first >= 0x30 && first <= 0x39)) return undefined;
  const id = JSON.parse(decode(bytes, idSpan)) as JsonRpcId;
  if (typeof id === "number" && !Number.isFinite(id)) return undefined;
  const resultType = scan.resultType;
  return resultType === undefined ? { id } : { id, resultType };
}

type Span = [start: number, end: number];

function sameBytes(bytes: Uint8Array, [start, end]: Span, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (bytes[start + k] !== expected[k]) return false;
  return true;
}

function decode(bytes: Uint8Array, [start, end]: Span): string {
  return new TextDecoder().decode(bytes.subarray(start, end));
}

/** A cursor over the bytes; every method returns `false`/`undefined` on anything it is not sure of. */
class Scan {
  readonly b: Uint8Array;
  i = 0;
  resultType: string | undefined;
  /** The bytes four at a time, from the first one aligned in the buffer (a long message only). */
  readonly words: Uint32Array | undefined;
  /** The index in `b` of the first byte of `words[0]`. */
  readonly wordsFrom: number = 0;

  constructor(bytes: Uint8Array) {
    this.b = bytes;
    if (bytes.length >= WORDS_MIN_BYTES) {
      this.wordsFrom = (4 - (bytes.byteOffset & 3)) & 3;
      this.words = new Uint32Array(
        bytes.buffer,
        bytes.byteOffset + this.wordsFrom,
        (bytes.length - this.wordsFrom) >>> 2,
      );
    }
  }

  /**
   * Past the plain characters of a string from `i` (printable ASCII but `"` and `\\`), four bytes at a time
   * while `i` is aligned: where the byte-by-byte check must look again.
   */
  plainRun(i: number): number {
    const words = this.words!;
    const offset = i - this.wordsFrom;
    if ((offset & 3) !== 0 || offset < 0) return i;
    let k = offset >>> 2;
    while (k < words.length && isPlainWord(words[k]!)) k++;
    return this.wordsFrom + (k << 2);
  }

  space(): void {
    const b = this.b;
    let i = this.i;
    while (i < b.length && (b[i] === SPACE || b[i] === TAB)) i++;
    this.i = i;
  }

  /**
   * An object whose members named in `keys` are located (their value spans, by index of `keys`); a repeated
   * or escaped member name at this level is not sure (JSON.parse would keep the last one). At the top level,
   * a `result` object is scanned for its `resultType`.
   */
  object(keys: readonly Uint8Array[], top: boolean): (Span | undefined)[] | undefined {
    const b = this.b;
    this.space();
    if (b[this.i] !== OPEN_BRACE) return undefined;
    this.i++;
    const found: (Span | undefined)[] = new Array(keys.length).fill(undefined);
    this.space();
    if (b[this.i] === CLOSE_BRACE) {
      this.i++;
      return found;
    }
    while (true) {
      if (b[this.i] !== QUOTE) return undefined;
      const nameStart = this.i + 1;
      if (!this.string()) return undefined;
      const nameEnd = this.i - 1;
      let which = -1;
      for (let k = 0; k < keys.length; k++) {
        if (sameBytes(b, [nameStart, nameEnd], keys[k]!)) which = k;
      }
      // An escape in a name may spell a key this scan looks for: the text path decides.
      if (b.subarray(nameStart, nameEnd).includes(BACKSLASH)) return undefined;
      this.space();
      if (b[this.i] !== COLON) return undefined;
      this.i++;
      this.space();
      const valueStart = this.i;
      if (top && which === RESULT && b[this.i] === OPEN_BRACE) {
        const inner = this.object(RESULT_KEYS, false);
        if (inner === undefined) return undefined;
        const span = inner[0];
        // A `resultType` that is not a string is an invalid result (mrtr.ts): the text path says so.
        if (span !== undefined && b[span[0]] !== QUOTE) return undefined;
        if (span !== undefined) this.resultType = JSON.parse(decode(b, span)) as string;
      } else if (!this.value()) return undefined;
      if (which !== -1) {
        if (found[which] !== undefined) return undefined;
        found[which] = [valueStart, this.i];
      }
      this.space();
      const next = b[this.i];
      this.i++;
      if (next === CLOSE_BRACE) return found;
      if (next !== COMMA) return undefined;
      this.space();
    }
  }

  /** Any JSON value, nested containers followed without recursion (up to {@linkcode MAX_SCAN_DEPTH}). */
  value(): boolean {
    const b = this.b;
    // Open containers: true for an object (a member name comes after each comma), false for an array.
    const open: boolean[] = [];
    while (true) {
      this.space();
      const c = b[this.i];
      if (c === QUOTE) {
        if (!this.string()) return false;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.i++;
        this.space();
        if (b[this.i] === (c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
          this.i++;
        } else {
          if (open.length >= MAX_SCAN_DEPTH) return false;
          open.push(c === OPEN_BRACE);
          if (c === OPEN_BRACE && !this.name()) return false;
          continue;
        }
      } else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
        if (!this.number()) return false;
      } else if (c === 0x74) {
        if (!this.literal(TRUE)) return false;
      } else if (c === 0x66) {
        if (!this.literal(FALSE)) return false;
      } else if (c === 0x6e) {
        if (!this.literal(NULL)) return false;
      } else {
        return false;
      }
      // After a value: close what ends here, or go on after a comma.
      while (true) {
        if (open.length === 0) return true;
        this.space();
        const next = b[this.i];
        const inObject = open[open.length - 1]!;
        if (next === COMMA) {
          this.i++;
          if (inObject && !this.name()) return false;
          break;
        }
        if (next !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return false;
        this.i++;
        open.pop();
      }
    }
  }

  /** A member name and its colon. */
  name(): boolean {
    this.space();
    if (this.b[this.i] !== QUOTE || !this.string()) return false;
    this.space();
    if (this.b[this.i] !== COLON) return false;
    this.i++;
    return true;
  }

  /** A string, from its opening quote to past its closing one: escapes checked, UTF-8 checked. */
  string(): boolean {
    const b = this.b;
    const n = b.length;
    const words = this.words !== undefined;
    let i = this.i + 1;
    while (i < n) {
      if (words) {
        i = this.plainRun(i);
        if (i >= n) break;
      }
      const c = b[i]!;
      if (c === QUOTE) {
        this.i = i + 1;
        return true;
      }
      if (c >= SPACE && c < 0x80 && c !== BACKSLASH) {
        i++;
        continue;
      }
      if (c === BACKSLASH) {
        const e = b[i + 1];
        if (
          e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e ||
          e === 0x72 || e === 0x74
        ) {
          i += 2;
          continue;
        }
        if (e !== 0x75) return false;
        for (let k = 2; k < 6; k++) if (!isHex(b[i + k])) return false;
        i += 6;
        continue;
      }
      if (c < SPACE) return false;
      const width = utf8Width(b, i);
      if (width === 0) return false;
      i += width;
    }
    return false;
  }

  number(): boolean {
    const b = this.b;
    let i = this.i;
    if (b[i] === 0x2d) i++;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i]) && b[i] !== 0x30) { while (isDigit(b[i])) i++; }
    else return false;
    if (b[i] === 0x2e) {
      i++;
      if (!isDigit(b[i])) return false;
      while (isDigit(b[i])) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) return false;
      while (isDigit(b[i])) i++;
    }
    this.i = i;
    return true;
  }

  literal(word: Uint8Array): boolean {
    if (!sameBytes(this.b, [this.i, this.i + word.length], word)) return false;
    this.i += word.length;
    return true;
  }
}

/** The shortest message scanned four bytes at a time (a shorter one is not worth the view). */
const WORDS_MIN_BYTES = 1024;

const HIGH_BITS = 0x80808080;

/** Whether a byte of the word is 0 (exact as to whether; the classic bit trick). */
function hasZeroByte(word: number): boolean {
  return ((word - 0x01010101) & ~word & HIGH_BITS) !== 0;
}

/** Whether the four bytes of a word are plain string characters: 0x20 to 0x7f, but `"` and `\\`. */
function isPlainWord(word: number): boolean {
  return (word & HIGH_BITS) === 0 && ((word - 0x20202020) & ~word & HIGH_BITS) === 0 &&
    !hasZeroByte(word ^ 0x22222222) && !hasZeroByte(word ^ 0x5c5c5c5c);
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined &&
    ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

function isContinuation(c: number | undefined): boolean {
  return c !== undefined && c >= 0x80 && c <= 0xbf;
}

/** The length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), 0 when there is none. */
function utf8Width(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const d = b[i + 1];
  if (c >= 0xc2 && c <= 0xdf) return isContinuation(d) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const low = c === 0xe0 ? 0xa0 : 0x80;
    const high = c === 0xed ? 0x9f : 0xbf;
    return d !== undefined && d >= low && d <= high && isContinuation(b[i + 2]) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const low = c === 0xf0 ? 0x90 : 0x80;
    const high = c === 0xf4 ? 0x8f : 0xbf;
    return d !== undefined && d >= low && d <= high && isContinuation(b[i + 2]) && isContinuation(b[i + 3])
      ? 4
      : 0;
  }
  return 0;
}
