/**
 * The `initialize` request a command sends to learn how a server answers a client it does not know (no
 * credentials): whether it asks to sign in, which version it speaks. Not the bridge's own handshake,
 * which replays the host's.
 *
 * @module
 */

/** The headers of a Streamable HTTP POST that accepts both answer forms. */
export const PROBE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
});

/**
 * The body of a probing `initialize` (protocol 2025-11-25, no capabilities).
 *
 * @example Usage
 * ```ts
 * import { probeInitializeBody } from "./probe_initialize.ts";
 * import assert from "node:assert/strict";
 *
 * const request = JSON.parse(probeInitializeBody("mcp-bridge-doctor"));
 * assert.equal(request.method, "initialize");
 * assert.equal(request.params.clientInfo.name, "mcp-bridge-doctor");
 * ```
 *
 * @param clientName The client name the server sees (which command asks).
 * @returns The JSON text.
 */
export function probeInitializeBody(clientName: string): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: clientName, version: "1" },
    },
  });
}
