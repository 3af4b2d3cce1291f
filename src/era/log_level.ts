/**
 * Log levels (RFC 5424 severities, as MCP names them). A 2026-07-28 host asks for log messages per
 * request (`_meta["io.modelcontextprotocol/logLevel"]`); a 2025-era server has one level per session
 * (`logging/setLevel`). These pure rules let the bridge translate between the two.
 *
 * @module
 */

/** The MCP log levels, from least to most severe. */
export const LOG_LEVELS: readonly string[] = Object.freeze([
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
]);

/**
 * Whether a value is an MCP log level.
 *
 * @example Usage
 * ```ts
 * import { isLogLevel } from "./log_level.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLogLevel("warning"), true);
 * assert.equal(isLogLevel("warn"), false);
 * ```
 *
 * @param value The value.
 * @returns `true` for one of {@linkcode LOG_LEVELS}.
 */
export function isLogLevel(value: unknown): value is string {
  return typeof value === "string" && LOG_LEVELS.includes(value);
}

/**
 * Whether a message of level `level` passes a `minimum` (unknown levels of a message pass: the server
 * knows better than a filter that cannot rank them).
 *
 * @example Usage
 * ```ts
 * import { atOrAbove } from "./log_level.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(atOrAbove("error", "warning"), true);
 * assert.equal(atOrAbove("debug", "info"), false);
 * ```
 *
 * @param level The message's level.
 * @param minimum The level asked for.
 * @returns Whether the message should be shown.
 */
export function atOrAbove(level: string, minimum: string): boolean {
  const rank = LOG_LEVELS.indexOf(level);
  return rank < 0 || rank >= LOG_LEVELS.indexOf(minimum);
}

/**
 * The session level a 2025-era server needs so that a request asking for `wanted` gets every message it
 * asked for: `wanted` when it is lower than the level set so far (or none was set), else `undefined`
 * (nothing to change). The bridge only ever lowers the server's level and filters per request itself.
 *
 * @example Usage
 * ```ts
 * import { levelToSet } from "./log_level.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(levelToSet("info", undefined), "info");
 * assert.equal(levelToSet("debug", "info"), "debug");
 * assert.equal(levelToSet("error", "info"), undefined);
 * ```
 *
 * @param wanted The level a request asks for.
 * @param current The level last set on the server's session, if any.
 * @returns The level to set, or `undefined`.
 */
export function levelToSet(wanted: string, current: string | undefined): string | undefined {
  if (current === undefined) return wanted;
  return LOG_LEVELS.indexOf(wanted) < LOG_LEVELS.indexOf(current) ? wanted : undefined;
}
