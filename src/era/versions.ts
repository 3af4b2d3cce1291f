/**
 * MCP protocol versions and their eras. Versions are `YYYY-MM-DD` dates; the modern era (per-request
 * `_meta`, no `initialize`) starts with 2026-07-28, everything earlier is the legacy (handshake) era.
 *
 * @module
 */

/** The modern-era protocol version the bridge speaks to remote servers. */
export const MODERN_VERSION = "2026-07-28";

/** The legacy-era (initialize handshake) protocol versions the bridge understands, newest first. */
export const LEGACY_VERSIONS: readonly string[] = Object.freeze([
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
]);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Tells whether a protocol version belongs to the modern era ("revision 2026-07-28 and later").
 * Anything that is not a `YYYY-MM-DD` date is not modern.
 *
 * @example Usage
 * ```ts
 * import { isModernVersion } from "./versions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isModernVersion("2026-07-28"), true);
 * assert.equal(isModernVersion("2025-11-25"), false);
 * ```
 *
 * @param version A protocol version string.
 * @returns `true` for 2026-07-28 and later dates.
 */
export function isModernVersion(version: string): boolean {
  return DATE.test(version) && version >= MODERN_VERSION;
}

/**
 * Picks the newest protocol version both sides support. Versions are compared as dates; a version that is
 * not a `YYYY-MM-DD` date only wins when no dated version is shared (then the first such one in `ours`).
 *
 * @example Usage
 * ```ts
 * import { pickVersion } from "./versions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(pickVersion(["2025-06-18", "2026-07-28"], ["2026-07-28", "2025-11-25"]), "2026-07-28");
 * assert.equal(pickVersion(["2025-06-18"], ["2026-07-28"]), undefined);
 * ```
 *
 * @param serverSupported The versions the server supports, in any order.
 * @param ours The versions the bridge supports, in any order.
 * @returns The newest common version, or `undefined` when there is none.
 */
export function pickVersion(serverSupported: readonly string[], ours: readonly string[]): string | undefined {
  const theirs = new Set(serverSupported);
  let best: string | undefined;
  let undated: string | undefined;
  for (const version of ours) {
    if (!theirs.has(version)) continue;
    if (DATE.test(version)) {
      if (best === undefined || version > best) best = version;
    } else {
      undated ??= version;
    }
  }
  return best ?? undated;
}
