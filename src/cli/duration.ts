/**
 * Durations on the command line: plain seconds (`90`) or a number with a unit (`500ms`, `30s`, `2m`, `1h`).
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into milliseconds.
 *
 * @example Usage
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseDuration("90"), 90_000);
 * assert.equal(parseDuration("2m"), 120_000);
 * assert.equal(parseDuration("1.5s"), 1500);
 * ```
 *
 * @param text The duration as written.
 * @returns Milliseconds.
 * @throws {RangeError} When the text is not a non-negative duration.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) {
    throw new RangeError(
      `Cannot parse duration "${text}": expected seconds or a number with a unit (ms, s, m, h)`,
    );
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "s"]!);
}
