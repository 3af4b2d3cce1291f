/**
 * The bridge, for code that embeds it: {@linkcode createBridge} connects a host that speaks
 * JSON-RPC lines to a remote MCP server as the command line does, and {@linkcode serveStdio} runs it
 * on a pair of byte streams (the process's stdio, or any other) until the input ends. For your own
 * transport, build a {@linkcode Bridge} directly.
 *
 * @example Usage
 * ```ts
 * import { createBridge, LineWriter, Logger, serveStdio } from "@mcp-bridge/mcp-bridge/bridge";
 * import assert from "node:assert/strict";
 *
 * // An in-process stand-in for a 2025-era server that answers with JSON.
 * const fetch = async (_url: string | URL, init?: RequestInit) => {
 *   const message = init?.method === "POST" ? await new Response(init.body).json() : undefined;
 *   if (message?.method === "initialize") {
 *     const result = { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "s", version: "1" } };
 *     return Response.json({ jsonrpc: "2.0", id: message.id, result });
 *   }
 *   if (message?.method === "tools/list") {
 *     const tools = [{ name: "echo", inputSchema: { type: "object" } }, { name: "delete_all", inputSchema: { type: "object" } }];
 *     return Response.json({ jsonrpc: "2.0", id: message.id, result: { tools } });
 *   }
 *   if (message !== undefined && message.id === undefined) return new Response(null, { status: 202 });
 *   return new Response("Not supported", { status: 405 });
 * };
 *
 * // The host's side: three lines in, then the end of input.
 * const input = [
 *   { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "me", version: "1" } } },
 *   { jsonrpc: "2.0", method: "notifications/initialized" },
 *   { jsonrpc: "2.0", id: 2, method: "tools/list" },
 * ].map((message) => JSON.stringify(message) + "\n").join("");
 * const written: string[] = [];
 * const out = new LineWriter(new WritableStream({ write: (chunk) => void written.push(new TextDecoder().decode(chunk)) }));
 *
 * const log = new Logger({ level: "error" });
 * const bridge = createBridge({ url: "https://mcp.example.com/mcp", fetch, out, log, ignoreTools: ["delete_*"] });
 * const exitCode = await serveStdio({
 *   bridge,
 *   stdin: ReadableStream.from([new TextEncoder().encode(input)]),
 *   out,
 *   log,
 *   shutdownBudgetMs: 5_000,
 * });
 *
 * assert.equal(exitCode, 0);
 * const answers = written.join("").trim().split("\n").map((line) => JSON.parse(line));
 * assert.deepEqual(answers.map((answer) => answer.id), [1, 2]);
 * assert.deepEqual(answers[1].result.tools.map((tool: { name: string }) => tool.name), ["echo"]);
 * ```
 *
 * @module
 */

export { createBridge, type CreateBridgeOptions } from "./create.ts";
export { Bridge, type BridgeOptions, type HostOutput } from "./bridge.ts";
export { serveStdio, type ServeStdioOptions } from "./serve_stdio.ts";
export { ToolFilter } from "./tool_filter.ts";
export { type ByteWriter, LineWriter } from "../stdio/stdout_writer.ts";
export type { ByteReader, HostLine } from "../stdio/line_reader.ts";
export { Logger, type LoggerOptions, type LogLevel, type LogSink } from "../log/logger.ts";
export type { RemoteTransportOptions } from "../transport/remote.ts";
export type { AuthHook, FetchLike, MessageSink, RemoteTransport } from "../transport/transport.ts";
export type { TransportMode } from "../transport/fallback.ts";
export type { ReconnectSettings } from "../transport/reconnect.ts";
export type { LivenessSettings } from "../transport/liveness.ts";
export type { EraMemory, ServerEra } from "../transport/era_memory.ts";
export type { Envelope, JsonRpcId } from "../jsonrpc/message.ts";
