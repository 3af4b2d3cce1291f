/**
 * Ids of the bridge's own requests (never the host's): responses to them never reach the host.
 *
 * @module
 */

import type { JsonRpcId } from "./message.ts";

/** Ids of the bridge's own requests start with this; responses to them never reach the host. */
export const INTERNAL_ID_PREFIX = "mcp-bridge-";

/**
 * Whether an id is one of the bridge's own.
 *
 * @example Usage
 * ```ts
 * import { isInternalId } from "./internal_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isInternalId("mcp-bridge-7"), true);
 * assert.equal(isInternalId(7), false);
 * ```
 *
 * @param id A JSON-RPC id.
 * @returns True when the bridge made it.
 */
export function isInternalId(id: JsonRpcId | null): boolean {
  return typeof id === "string" && id.startsWith(INTERNAL_ID_PREFIX);
}
