/**
 * The package version (kept equal to `deno.json` by a test).
 *
 * @module
 */

/** The mcp-bridge version. */
export const VERSION = "0.1.0";
