/**
 * The benchmark's 2026-07-28 server: the SDK's `createMcpHandler` (no sessions, a fresh server
 * instance per request, JSON answers that upgrade to SSE when a tool notifies first) with the same
 * three tools the legacy run uses: `echo`, `blob` and `notify`. Served with `Deno.serve` on
 * 127.0.0.1 at `/mcp`, modern-only (`legacy: "reject"`), so every client must speak 2026-07-28.
 *
 * @module
 */

import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

const MIB = 1024 * 1024;

let blobCache = "";

/**
 * A text of the given size, built once (varied ASCII, so nothing along the way can shortcut a run
 * of one character); the same text the legacy run's `blob` tool returns.
 *
 * @example Usage
 * ```ts
 * import { blobText } from "./modern_server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(blobText(100).length, 100);
 * ```
 *
 * @param bytes The length.
 * @returns The text.
 */
export function blobText(bytes: number): string {
  if (blobCache.length !== bytes) {
    const unit = "The quick brown fox jumps over the lazy dog 0123456789. ";
    blobCache = unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
  }
  return blobCache;
}

/**
 * Adds the workload tools both bench servers share: `blob` (a text of the requested size) and
 * `notify` (n progress and n logging notifications, interleaved, then an answer).
 *
 * @example Usage
 * ```ts ignore
 * import { registerBenchTools } from "./modern_server.ts";
 * registerBenchTools(server);
 * ```
 *
 * @param server The server to add them to.
 */
export function registerBenchTools(server: McpServer): void {
  server.registerTool("blob", {
    description: "Returns a text of the requested size",
    inputSchema: z.object({ bytes: z.number().int().min(0).max(16 * MIB) }),
  }, ({ bytes }) => ({ content: [{ type: "text", text: blobText(bytes) }] }));
  server.registerTool("notify", {
    description: "Sends n progress and n logging notifications, interleaved, then answers",
    inputSchema: z.object({ n: z.number().int().min(1).max(10_000) }),
  }, async ({ n }, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    if (token === undefined) throw new Error("notify needs a progress token");
    for (let i = 1; i <= n; i++) {
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: { progressToken: token, progress: i, total: n },
      });
      await ctx.mcpReq.notify({
        method: "notifications/message",
        params: { level: "info", logger: "bench", data: { seq: i } },
      });
    }
    return { content: [{ type: "text", text: String(n) }] };
  });
}

/**
 * One per-request server instance with `echo`, `blob` (a text result of a given size) and `notify`
 * (interleaved progress and log notifications, numbered, before the result).
 *
 * @example Usage
 * ```ts ignore
 * import { createModernBenchServer } from "./modern_server.ts";
 * const server = createModernBenchServer();
 * ```
 *
 * @returns A server not yet connected to a transport.
 */
export function createModernBenchServer(): McpServer {
  const server = new McpServer(
    { name: "mcp-bridge-bench-modern", version: "1.0.0" },
    { capabilities: { logging: {}, tools: {} } },
  );
  server.registerTool("echo", {
    description: "Returns the text it is given",
    inputSchema: z.object({ text: z.string() }),
  }, ({ text }) => ({ content: [{ type: "text", text }] }));
  registerBenchTools(server);
  return server;
}

/** A running modern bench server. */
export interface ModernBenchServer {
  /** The MCP endpoint (`http://127.0.0.1:<port>/mcp`). */
  url: URL;
  /** Stops the handler (open streams included), then the HTTP server. */
  close(): Promise<void>;
}

/**
 * Serves {@linkcode createModernBenchServer} on 127.0.0.1 (any free port) at `/mcp`.
 *
 * @example Usage
 * ```ts ignore
 * import { serveModernBench } from "./modern_server.ts";
 * const server = await serveModernBench();
 * await server.close();
 * ```
 *
 * @returns The running server.
 */
export function serveModernBench(): Promise<ModernBenchServer> {
  const handler = createMcpHandler(() => createModernBenchServer(), { legacy: "reject", keepAliveMs: 0 });
  return new Promise((resolve) => {
    const httpServer = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => {
        resolve({
          url: new URL(`http://127.0.0.1:${port}/mcp`),
          close: async () => {
            await handler.close();
            await httpServer.shutdown();
          },
        });
      },
    }, (request) => {
      if (new URL(request.url).pathname !== "/mcp") return new Response("Not found", { status: 404 });
      return handler.fetch(request);
    });
  });
}
