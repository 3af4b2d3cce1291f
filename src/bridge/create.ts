/**
 * The bridge as the command line wires it, for code that embeds it: a {@linkcode Bridge} whose
 * transport is {@linkcode createRemoteTransport}'s and whose sink is the bridge itself.
 *
 * @module
 */

import { Logger } from "../log/logger.ts";
import { createRemoteTransport, type RemoteTransportOptions } from "../transport/remote.ts";
import { Bridge, type HostOutput } from "./bridge.ts";
import { ToolFilter } from "./tool_filter.ts";

/** Options for {@linkcode createBridge}: the connection's (without its sink), the host's output, the filters. */
export interface CreateBridgeOptions extends Omit<RemoteTransportOptions, "sink"> {
  /** Where the bridge writes messages for the host, one JSON-RPC message per call. */
  out: HostOutput;
  /** `--ignore-tool` globs: matching tools are hidden from the host and refused (default: none). */
  ignoreTools?: readonly string[];
  /** `--include-tool` globs: when any is given, only matching tools pass (default: none). */
  includeTools?: readonly string[];
  /** `--request-timeout`: the longest wait for the answer to a host request (default: none). */
  requestTimeoutMs?: number;
}

/**
 * Creates the bridge to a remote MCP server, wired as the command line wires it. Hand it the host's
 * lines with {@linkcode Bridge.fromHost} (or run it on a byte stream with `serveStdio`); it writes
 * exactly one response per host request to `out`. Nothing is sent before the first message.
 *
 * @example Usage
 * ```ts
 * import { createBridge } from "./create.ts";
 * import assert from "node:assert/strict";
 *
 * // An in-process stand-in for a 2025-era server that answers with JSON.
 * const fetch = async (_url: string | URL, init?: RequestInit) => {
 *   const message = init?.method === "POST" ? await new Response(init.body).json() : undefined;
 *   if (message?.method === "initialize") {
 *     const result = { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "s", version: "1" } };
 *     return Response.json({ jsonrpc: "2.0", id: message.id, result });
 *   }
 *   return new Response("Not supported", { status: 405 });
 * };
 *
 * const lines: string[] = [];
 * const bridge = createBridge({
 *   url: "https://mcp.example.com/mcp",
 *   fetch,
 *   out: { write: async (text) => void lines.push(text) },
 * });
 * await bridge.fromHost({
 *   text: JSON.stringify({
 *     jsonrpc: "2.0",
 *     id: 1,
 *     method: "initialize",
 *     params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "me", version: "1" } },
 *   }),
 * });
 * await bridge.drain();
 * await bridge.close();
 * assert.equal(JSON.parse(lines[0]!).result.serverInfo.name, "s");
 * ```
 *
 * @param options The server, the host's output, and the command line's settings.
 * @returns The bridge (its transport unconnected until the first message).
 */
export function createBridge(options: CreateBridgeOptions): Bridge {
  const { out, ignoreTools, includeTools, requestTimeoutMs, ...connection } = options;
  const log = options.log ?? new Logger({ level: "warn" });
  const bridge: Bridge = new Bridge({
    transport: createRemoteTransport({
      ...connection,
      log,
      sink: (text, envelope) => bridge.fromServer(text, envelope),
    }),
    out,
    log,
    filter: new ToolFilter(ignoreTools ?? [], includeTools ?? []),
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
  });
  return bridge;
}
