/**
 * The connection to a remote MCP server, for code that talks to one without the stdio bridge:
 * {@linkcode createRemoteTransport} builds what the command line uses (Streamable HTTP or HTTP+SSE,
 * chosen and fallen back with the first message; the 2026-07-28 era probed), behind the small
 * {@linkcode RemoteTransport} interface. Send JSON-RPC text with its envelope
 * ({@linkcode parseMessage}); the server's messages come to a {@linkcode MessageSink}.
 *
 * @example Usage
 * ```ts
 * import { createRemoteTransport, parseMessage, TransportError } from "@mcp-bridge/mcp-bridge/transport";
 * import assert from "node:assert/strict";
 *
 * // A server that refuses everything, in process: the request fails with a TransportError.
 * const transport = createRemoteTransport({
 *   url: "https://mcp.example.com/mcp",
 *   fetch: () => Promise.resolve(new Response("Forbidden", { status: 403 })),
 *   mode: "http-only",
 *   protocol: "legacy",
 *   sink: () => Promise.resolve(),
 * });
 * const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
 * await assert.rejects(transport.send(ping, parseMessage(ping)), (error) => {
 *   assert.ok(error instanceof TransportError);
 *   assert.equal(error.status, 403);
 *   return true;
 * });
 * await transport.close();
 * ```
 *
 * @module
 */

export { createRemoteTransport, type RemoteTransportOptions } from "./remote.ts";
export {
  type AuthHook,
  EraMismatchError,
  type FetchLike,
  type MessageSink,
  type RemoteTransport,
  type ResponseBytesSink,
  TransportError,
} from "./transport.ts";
export type { TransportMode } from "./fallback.ts";
export type { ReconnectSettings } from "./reconnect.ts";
export type { LivenessSettings } from "./liveness.ts";
export { type EraMemory, ProcessEraMemory, type ServerEra } from "./era_memory.ts";
export { FileEraMemory, type FileEraMemoryOptions } from "./era_file.ts";
export { type Envelope, type JsonRpcId, parseMessage } from "../jsonrpc/message.ts";
export { Logger, type LoggerOptions, type LogLevel, type LogSink } from "../log/logger.ts";
