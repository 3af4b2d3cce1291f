/**
 * The bundled example remote MCP server used by `deno task demo` (and, extended, by the tests):
 * a few tools, a resource, a prompt and progress notifications, served over Streamable HTTP on
 * 127.0.0.1 with the MCP SDK's server.
 *
 * @module
 */

import { McpServer, WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/server";
import type { EventStore } from "@modelcontextprotocol/server";
import { z } from "zod";

/**
 * Builds the example server's tools, resource and prompt.
 *
 * @example Usage
 * ```ts ignore
 * import { createExampleServer } from "./example_server.ts";
 * const server = createExampleServer();
 * ```
 *
 * @returns A server not yet connected to a transport.
 */
export function createExampleServer(): McpServer {
  const server = new McpServer(
    { name: "mcp-bridge-example", version: "1.0.0" },
    { capabilities: { logging: {} }, instructions: "An example server bundled with mcp-bridge." },
  );
  server.registerTool("echo", {
    description: "Returns the text it is given",
    inputSchema: z.object({ text: z.string() }),
  }, ({ text }) => ({ content: [{ type: "text", text }] }));
  server.registerTool("add", {
    description: "Adds two numbers",
    inputSchema: z.object({ a: z.number(), b: z.number() }),
  }, ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));
  server.registerTool("countdown", {
    description: "Counts down from n, reporting progress at each step",
    inputSchema: z.object({
      n: z.number().int().min(1).max(10_000),
      delayMs: z.number().min(0).max(1000).optional(),
    }),
  }, async ({ n, delayMs }, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined) {
        await ctx.mcpReq.notify({
          method: "notifications/progress",
          params: { progressToken: token, progress: i, total: n, message: `${n - i} to go` },
        });
      }
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    return { content: [{ type: "text", text: "Lift-off!" }] };
  });
  server.registerResource("readme", "demo://readme", {
    description: "A short text about this server",
    mimeType: "text/markdown",
  }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/markdown", text: "# Example\nServed through mcp-bridge." }],
  }));
  server.registerPrompt("greet", {
    description: "Greets someone by name",
    argsSchema: z.object({ name: z.string() }),
  }, ({ name }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}.` } }],
  }));
  return server;
}

/** How the example server answers. */
export interface ServeOptions {
  /** `stateful` (sessions), `stateless`, or `json` (stateful, JSON responses instead of SSE). */
  mode?: "stateful" | "stateless" | "json";
  /** The port (0: any free one). */
  port?: number;
  /** Builds the MCP server (default {@linkcode createExampleServer}). */
  create?: () => McpServer;
  /** Enables resumability with this event store. */
  eventStore?: () => EventStore;
  /** The SSE `retry` value to send, in milliseconds. */
  retryInterval?: number;
  /** The largest request body accepted. */
  maxRequestBodySize?: number;
  /** Sees every HTTP request before the MCP transport does; a returned response short-cuts it. */
  intercept?: (request: Request) => Response | undefined | Promise<Response | undefined>;
}

/** A running example server. */
export interface RunningServer {
  /** The MCP endpoint. */
  url: URL;
  /** Live session ids (stateful modes). */
  sessions: Map<string, WebStandardStreamableHTTPServerTransport>;
  /** Stops the server and closes every session. */
  close(): Promise<void>;
}

/**
 * Serves an MCP server over Streamable HTTP on 127.0.0.1 at `/mcp`.
 *
 * @example Usage
 * ```ts ignore
 * import { serveExample } from "./example_server.ts";
 * const server = await serveExample({ mode: "stateful" });
 * console.log(server.url.href);
 * await server.close();
 * ```
 *
 * @param options The mode and port.
 * @returns The running server.
 */
export function serveExample(options: ServeOptions = {}): Promise<RunningServer> {
  const mode = options.mode ?? "stateful";
  const create = options.create ?? createExampleServer;
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const servers: McpServer[] = [];
  const transportOptions = () => ({
    enableJsonResponse: mode === "json",
    ...(options.eventStore ? { eventStore: options.eventStore() } : {}),
    ...(options.retryInterval !== undefined ? { retryInterval: options.retryInterval } : {}),
    ...(options.maxRequestBodySize !== undefined ? { maxRequestBodySize: options.maxRequestBodySize } : {}),
  });

  const handle = async (request: Request): Promise<Response> => {
    const intercepted = await options.intercept?.(request);
    if (intercepted) return intercepted;
    if (new URL(request.url).pathname !== "/mcp") return new Response("Not found", { status: 404 });
    if (mode === "stateless") {
      const server = create();
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        ...transportOptions(),
      });
      servers.push(server);
      await server.connect(transport);
      return await transport.handleRequest(request);
    }
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId) {
      const transport = sessions.get(sessionId);
      if (!transport) {
        return Response.json({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32001, message: "Session not found" },
        }, {
          status: 404,
        });
      }
      return await transport.handleRequest(request);
    }
    const server = create();
    servers.push(server);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
      ...transportOptions(),
    });
    await server.connect(transport);
    return await transport.handleRequest(request);
  };

  return new Promise((resolve) => {
    const httpServer = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: ({ port }) => {
        resolve({
          url: new URL(`http://127.0.0.1:${port}/mcp`),
          sessions,
          close: async () => {
            for (const transport of sessions.values()) await transport.close().catch(() => {});
            for (const server of servers) await server.close().catch(() => {});
            sessions.clear();
            await httpServer.shutdown();
          },
        });
      },
    }, handle);
  });
}

// `deno task example-server [port]`: the bundled server on its own, for `client` and a host to point at.
if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 8808);
  const server = await serveExample({ port });
  const say = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
  say(`The example MCP server listens at ${server.url.href} (Ctrl-C stops it)`);
  say(`Try: deno run --allow-net=127.0.0.1:${server.url.port} src/main.ts client ${server.url.href}`);
  Deno.addSignalListener("SIGINT", () => server.close().then(() => Deno.exit(0)));
}
