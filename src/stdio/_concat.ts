/**
 * Joins byte chunks into one array (the one chunk itself when there is only one).
 *
 * @module
 */

/**
 * Joins byte chunks.
 *
 * @example Usage
 * ```ts
 * import { concatBytes } from "./_concat.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])], 3), new Uint8Array([1, 2, 3]));
 * ```
 *
 * @param parts The chunks, in order.
 * @param total Their total length.
 * @returns The joined bytes.
 */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
