/**
 * Sizes on the command line: plain bytes (`1048576`) or a number with a binary unit (`512KiB`, `64MiB`,
 * `1GiB`; `K`, `KB`, `M`, `MB`, `G`, `GB` mean the same).
 *
 * @module
 */

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a size into bytes.
 *
 * @example Usage
 * ```ts
 * import { parseSize } from "./size.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseSize("1024"), 1024);
 * assert.equal(parseSize("64MiB"), 64 * 1024 * 1024);
 * assert.equal(parseSize("1.5k"), 1536);
 * ```
 *
 * @param text The size as written.
 * @returns Bytes.
 * @throws {RangeError} When the text is not a size.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmg])(?:i?b)?|(b))?\s*$/i.exec(text);
  if (!match) {
    throw new RangeError(
      `Cannot parse size "${text}": expected bytes or a number with a unit (KiB, MiB, GiB)`,
    );
  }
  const unit = (match[2] ?? match[3] ?? "").toLowerCase();
  return Math.round(Number(match[1]) * UNITS[unit]!);
}
