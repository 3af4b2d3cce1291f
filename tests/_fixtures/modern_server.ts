/**
 * A 2026-07-28-era ("modern") MCP server for the era tests: the SDK's `createMcpHandler` (per-request
 * server instances, no sessions, `subscriptions/listen`, multi-round-trip `input_required` results,
 * `Mcp-Param-*` header validation) served with `Deno.serve` on 127.0.0.1 at `/mcp`.
 *
 * With `legacy: "reject"` (the default here) the endpoint is modern-only; with `legacy: "stateless"`
 * ({@linkcode serveDualEra}) 2025-era traffic (`initialize`, session-less POSTs) is answered by the
 * SDK's stateless legacy fallback from the same tools.
 *
 * @module
 */

import {
  acceptedContent,
  createMcpHandler,
  fromJsonSchema,
  inputRequired,
  inputResponse,
  McpServer,
  type PerRequestResponseMode,
  type ServerNotifier,
} from "@modelcontextprotocol/server";
import { z } from "zod";

/** The protocol revision this fixture serves. */
export const MODERN_VERSION = "2026-07-28";

/** The resource the fixture serves (subscribable). */
export const README_URI = "demo://readme";

/** The `requestState` `confirm` mints: non-ASCII and JSON-special so that a byte-exact echo is tested. */
export const CONFIRM_STATE = 'confirm:1 ✓ {"q":"a\\"b"}';

/** How the modern server answers. */
export interface ModernServeOptions {
  /** How 2025-era traffic is treated: `reject` (default here: modern-only) or `stateless` (both eras). */
  legacy?: "reject" | "stateless";
  /** Modern response shaping: `auto` (SDK default: JSON unless the handler notifies first), `sse`, `json`. */
  responseMode?: PerRequestResponseMode;
  /** The port (0: any free one). */
  port?: number;
  /** Sees every HTTP request (after it is recorded); a returned response short-cuts the MCP handler. */
  intercept?: (request: Request) => Response | undefined | Promise<Response | undefined>;
}

/** One HTTP request as the server received it. */
export interface RecordedRequest {
  /** The HTTP method. */
  method: string;
  /** Every request header, names lower-cased. */
  headers: Record<string, string>;
  /** The raw body text (empty for GET/DELETE). */
  body: string;
  /** `performance.now()` on arrival. */
  at: number;
}

/** One `tools/call` as the server received it (recorded before the SDK validates it). */
export interface RecordedToolCall {
  /** `params.name`. */
  name: string;
  /** The JSON-RPC id. */
  id: unknown;
  /** `params.arguments`. */
  arguments: unknown;
  /** Every request header, names lower-cased (`mcp-param-*`, `mcp-name`, …). */
  headers: Record<string, string>;
  /** `params.requestState` exactly as sent (absent: `undefined`). */
  requestState?: unknown;
  /** Whether `params` had a `requestState` member at all. */
  hasRequestState: boolean;
  /** `params.inputResponses` exactly as sent. */
  inputResponses?: unknown;
  /** `params._meta` exactly as sent. */
  meta?: unknown;
}

/** What the modern server observed. */
export interface ModernObservations {
  /** Every `tools/call`, in arrival order. */
  toolCalls: RecordedToolCall[];
  /** JSON-RPC ids of `slow` calls whose handler saw its abort signal. */
  cancelled: string[];
  /** What each retry of `no_state` carried (the client must not invent a `requestState`). */
  noStateRetries: { requestState: unknown; inputResponseKeys: string[] }[];
  /** The `requestState` each MRTR handler round saw (`tool: state`, `undefined` printed as `-`). */
  rounds: string[];
  /** Messages of the errors and rejections the SDK reported through `onerror`. */
  errors: string[];
}

/** A running modern server. */
export interface ModernServer {
  /** The MCP endpoint (`http://127.0.0.1:<port>/mcp`). */
  url: URL;
  /** Every HTTP request received, in arrival order. */
  requests: RecordedRequest[];
  /** Tool-level observations. */
  seen: ModernObservations;
  /** Publishes change notifications to open `subscriptions/listen` streams (SDK sugar over the bus). */
  notify: ServerNotifier;
  /** Registers an extra `echo`-like tool on every later request, then publishes `tools/list_changed`. */
  addTool(name: string): void;
  /** Publishes `notifications/resources/updated` for a URI (default: {@linkcode README_URI}). */
  resourceUpdated(uri?: string): void;
  /** Stops the server: closes listen streams and in-flight exchanges, then the HTTP server. */
  close(): Promise<void>;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

type JsonSchema = Parameters<typeof fromJsonSchema>[0];

/** A tool schema given as JSON Schema (so `x-mcp-header` annotations reach `tools/list` verbatim). */
function schema(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return fromJsonSchema({ type: "object", properties, ...extra } as JsonSchema);
}

/** The tools whose `x-mcp-header` declarations are valid, and those a conforming client must drop. */
export const HEADER_TOOLS = {
  valid: ["tenant_tool", "typed_headers"],
  invalid: [
    "bad_empty_header",
    "bad_space_header",
    "bad_duplicate_header",
    "bad_number_header",
    "bad_object_header",
    "bad_items_header",
  ],
} as const;

function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}

/**
 * Builds one per-request server instance with every fixture tool, a resource and a prompt.
 *
 * @param seen Where the tools record what they observe.
 * @param extraTools Names of tools added at run time through {@linkcode ModernServer.addTool}.
 * @returns A server not yet connected to a transport.
 */
export function createModernServer(seen: ModernObservations, extraTools: readonly string[] = []): McpServer {
  const server = new McpServer(
    { name: "mcp-bridge-modern-fixture", version: "1.0.0" },
    {
      capabilities: {
        logging: {},
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
      },
      instructions: "A 2026-07-28 test server for mcp-bridge.",
    },
  );

  server.registerTool("echo", {
    description: "Returns the text it is given",
    inputSchema: z.object({ text: z.string() }),
  }, ({ text: value }) => text(value));
  server.registerTool("add", {
    description: "Adds two numbers",
    inputSchema: z.object({ a: z.number(), b: z.number() }),
  }, ({ a, b }) => text(String(a + b)));
  server.registerTool("slow", {
    description: "Waits ms milliseconds, or until the request is cancelled (closing its HTTP stream)",
    inputSchema: z.object({ ms: z.number() }),
  }, async ({ ms }, ctx) => {
    const signal = ctx.mcpReq.signal;
    // With a progressToken, one progress notification first upgrades the reply to SSE; Deno.serve
    // notices a client disconnect reliably only once a streaming response has been returned.
    const token = ctx.mcpReq._meta?.progressToken;
    if (token !== undefined) {
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: { progressToken: token, progress: 0 },
      });
    }
    await delay(ms, signal);
    if (signal.aborted) seen.cancelled.push(String(ctx.mcpReq.id));
    return text(signal.aborted ? "cancelled" : `waited ${ms}`);
  });
  server.registerTool("progress", {
    description: "Sends n progress notifications (with the request's progressToken), then answers",
    inputSchema: z.object({ n: z.number().int().min(1).max(1000) }),
  }, async ({ n }, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined) {
        await ctx.mcpReq.notify({
          method: "notifications/progress",
          params: { progressToken: token, progress: i, total: n, message: `step ${i}` },
        });
      }
      await delay(2);
    }
    return text(`progressed ${n}`);
  });
  server.registerTool("log", {
    description: "Logs count lines at info and one at debug; modern era: only at or above " +
      '_meta["io.modelcontextprotocol/logLevel"], nothing when it is absent',
    inputSchema: z.object({ count: z.number().int().min(0).max(1000) }),
  }, async ({ count }, ctx) => {
    await ctx.mcpReq.log("debug", "debug line", "fixture");
    for (let i = 0; i < count; i++) await ctx.mcpReq.log("info", `line ${i}`, "fixture");
    return text("logged");
  });

  // Multi-round-trip tools (input_required results).
  const confirmSchema = {
    type: "object" as const,
    properties: { ok: { type: "boolean" as const, description: "Proceed?" } },
    required: ["ok"],
  };
  server.registerTool("confirm", {
    description: "Asks the user (elicitation/create via input_required), then echoes the accepted content; " +
      "`pad` spaces make the question (and the input_required result) that much larger",
    inputSchema: z.object({ action: z.string().optional(), pad: z.number().int().min(0).optional() }),
  }, ({ action, pad }, ctx) => {
    const state = ctx.mcpReq.requestState<string>();
    seen.rounds.push(`confirm: ${state ?? "-"}`);
    const answer = inputResponse(ctx.mcpReq.inputResponses, "confirm");
    if (answer.kind !== "elicit") {
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: `Really ${action ?? "proceed"}?${" ".repeat(pad ?? 0)}`,
            requestedSchema: confirmSchema,
          }),
        },
        requestState: CONFIRM_STATE,
      });
    }
    if (state !== CONFIRM_STATE) {
      return { ...text(`bad requestState: ${JSON.stringify(state)}`), isError: true };
    }
    return text(`${answer.action}: ${JSON.stringify(answer.content ?? {})}`);
  });
  server.registerTool("ask_model", {
    description: "Asks the host's model (sampling/createMessage via input_required)",
    inputSchema: z.object({ question: z.string().optional() }),
  }, ({ question }, ctx) => {
    seen.rounds.push(`ask_model: ${ctx.mcpReq.requestState<string>() ?? "-"}`);
    const answer = inputResponse(ctx.mcpReq.inputResponses, "model");
    if (answer.kind !== "sampling") {
      return inputRequired({
        inputRequests: {
          model: inputRequired.createMessage({
            messages: [{ role: "user", content: { type: "text", text: question ?? "What is 2+2?" } }],
            maxTokens: 10,
          }),
        },
        requestState: "ask_model:1",
      });
    }
    return text(`model said: ${JSON.stringify(answer.result.content)}`);
  });
  server.registerTool("list_roots", {
    description: "Lists the host's roots (roots/list via input_required)",
    inputSchema: z.object({}),
  }, (_args, ctx) => {
    seen.rounds.push(`list_roots: ${ctx.mcpReq.requestState<string>() ?? "-"}`);
    const answer = inputResponse(ctx.mcpReq.inputResponses, "roots");
    if (answer.kind !== "roots") {
      return inputRequired({
        inputRequests: { roots: inputRequired.listRoots() },
        requestState: "list_roots:1",
      });
    }
    return text(`roots: ${JSON.stringify(answer.roots)}`);
  });
  server.registerTool("two_rounds", {
    description: "Two consecutive input_required rounds, each with its own requestState",
    inputSchema: z.object({}),
  }, (_args, ctx) => {
    const state = ctx.mcpReq.requestState<string>();
    seen.rounds.push(`two_rounds: ${state ?? "-"}`);
    const nameSchema = { type: "object" as const, properties: { value: { type: "string" as const } } };
    if (state === "round-1") {
      const first = acceptedContent(ctx.mcpReq.inputResponses, "first");
      if (first) {
        return inputRequired({
          inputRequests: {
            second: inputRequired.elicit({ message: "Second answer?", requestedSchema: nameSchema }),
          },
          requestState: `round-2:${JSON.stringify(first)}`,
        });
      }
    } else if (state?.startsWith("round-2:")) {
      const second = acceptedContent(ctx.mcpReq.inputResponses, "second");
      if (second) return text(`first=${state.slice("round-2:".length)} second=${JSON.stringify(second)}`);
    }
    return inputRequired({
      inputRequests: {
        first: inputRequired.elicit({ message: "First answer?", requestedSchema: nameSchema }),
      },
      requestState: "round-1",
    });
  });
  server.registerTool("no_state", {
    description: "input_required with inputRequests but no requestState (the client must not invent one)",
    inputSchema: z.object({}),
  }, (_args, ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, "q");
    if (ctx.mcpReq.inputResponses !== undefined) {
      seen.noStateRetries.push({
        requestState: ctx.mcpReq.requestState(),
        inputResponseKeys: Object.keys(ctx.mcpReq.inputResponses),
      });
    }
    if (!answer) {
      return inputRequired({
        inputRequests: {
          q: inputRequired.elicit({
            message: "Anything?",
            requestedSchema: { type: "object", properties: { value: { type: "string" } } },
          }),
        },
      });
    }
    return text(`no_state got ${JSON.stringify(answer)}`);
  });

  // x-mcp-header tools (SEP-2243). The SDK checks Mcp-Param-* headers for declared properties
  // (400 / -32020 HeaderMismatch) and only warns (console.warn on tools/list) about invalid ones.
  server.registerTool("tenant_tool", {
    description: "Valid x-mcp-header on a string property",
    inputSchema: schema({
      tenant: { type: "string", "x-mcp-header": "Tenant" },
      query: { type: "string" },
    }, { required: ["tenant"] }),
  }, (args) => text(`tenant=${(args as { tenant: string }).tenant}`));
  server.registerTool("typed_headers", {
    description: "Valid x-mcp-header on an integer and a boolean property",
    inputSchema: schema({
      count: { type: "integer", "x-mcp-header": "Count" },
      verbose: { type: "boolean", "x-mcp-header": "Verbose" },
    }),
  }, (args) => text(`typed ${JSON.stringify(args)}`));
  const invalid: Record<(typeof HEADER_TOOLS.invalid)[number], Record<string, unknown>> = {
    bad_empty_header: { a: { type: "string", "x-mcp-header": "" } },
    bad_space_header: { a: { type: "string", "x-mcp-header": "My Header" } },
    bad_duplicate_header: {
      a: { type: "string", "x-mcp-header": "Region" },
      b: { type: "string", "x-mcp-header": "region" },
    },
    bad_number_header: { amount: { type: "number", "x-mcp-header": "Amount" } },
    bad_object_header: { obj: { type: "object", "x-mcp-header": "Obj", properties: {} } },
    bad_items_header: { list: { type: "array", items: { type: "string", "x-mcp-header": "Item" } } },
  };
  for (const [name, properties] of Object.entries(invalid)) {
    server.registerTool(name, {
      description: "Invalid x-mcp-header declaration: clients must exclude this tool",
      inputSchema: schema(properties),
    }, () => text(`${name} ran`));
  }

  for (const name of extraTools) {
    server.registerTool(name, {
      description: "Added at run time",
      inputSchema: z.object({ text: z.string() }),
    }, ({ text: value }) => text(`${name}: ${value}`));
  }

  server.registerResource("readme", README_URI, {
    description: "A short text about this server",
    mimeType: "text/markdown",
  }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/markdown", text: "# Modern\nServed by createMcpHandler." }],
  }));
  server.registerPrompt("greet", {
    description: "Greets someone by name",
    argsSchema: z.object({ name: z.string() }),
  }, ({ name }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}.` } }],
  }));
  return server;
}

function headersOf(request: Request): Record<string, string> {
  const out: Record<string, string> = {};
  request.headers.forEach((value, name) => out[name] = value);
  return out;
}

function recordToolCall(seen: ModernObservations, headers: Record<string, string>, body: string): void {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return;
  }
  const m = message as { method?: unknown; id?: unknown; params?: Record<string, unknown> };
  if (m === null || typeof m !== "object" || m.method !== "tools/call") return;
  const params = m.params ?? {};
  seen.toolCalls.push({
    name: String(params.name),
    id: m.id,
    arguments: params.arguments,
    headers,
    hasRequestState: "requestState" in params,
    ...("requestState" in params ? { requestState: params.requestState } : {}),
    ...("inputResponses" in params ? { inputResponses: params.inputResponses } : {}),
    ...("_meta" in params ? { meta: params._meta } : {}),
  });
}

/**
 * Serves the modern fixture on 127.0.0.1 at `/mcp` and records what it sees.
 *
 * @example Usage
 * ```ts ignore
 * const server = await serveModern({ legacy: "reject" });
 * // … POST server/discover with the _meta envelope to server.url …
 * await server.close();
 * ```
 *
 * @param options Legacy posture, response mode, port and an intercept hook.
 * @returns The running server.
 */
export function serveModern(options: ModernServeOptions = {}): Promise<ModernServer> {
  const seen: ModernObservations = {
    toolCalls: [],
    cancelled: [],
    noStateRetries: [],
    rounds: [],
    errors: [],
  };
  const requests: RecordedRequest[] = [];
  const extraTools: string[] = [];
  const handler = createMcpHandler(() => createModernServer(seen, extraTools), {
    legacy: options.legacy ?? "reject",
    ...(options.responseMode ? { responseMode: options.responseMode } : {}),
    keepAliveMs: 0,
    onerror: (error) => void seen.errors.push(error.message),
  });

  const handle = async (request: Request): Promise<Response> => {
    const body = request.body ? await request.clone().text() : "";
    const headers = headersOf(request);
    requests.push({ method: request.method, headers, body, at: performance.now() });
    recordToolCall(seen, headers, body);
    const intercepted = await options.intercept?.(request);
    if (intercepted) return intercepted;
    if (new URL(request.url).pathname !== "/mcp") return new Response("Not found", { status: 404 });
    return await handler.fetch(request);
  };

  return new Promise((resolve) => {
    const httpServer = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: ({ port }) => {
        resolve({
          url: new URL(`http://127.0.0.1:${port}/mcp`),
          requests,
          seen,
          notify: handler.notify,
          addTool: (name) => {
            extraTools.push(name);
            handler.notify.toolsChanged();
          },
          resourceUpdated: (uri = README_URI) => handler.notify.resourceUpdated(uri),
          close: async () => {
            await handler.close();
            await httpServer.shutdown();
          },
        });
      },
    }, handle);
  });
}

/**
 * Serves the fixture for both eras: modern requests as {@linkcode serveModern}, 2025-era requests
 * (`initialize`, plain POSTs; GET/DELETE answer 405) through the SDK's stateless legacy fallback.
 *
 * @param options As {@linkcode serveModern}, without `legacy`.
 * @returns The running server.
 */
export function serveDualEra(options: Omit<ModernServeOptions, "legacy"> = {}): Promise<ModernServer> {
  return serveModern({ ...options, legacy: "stateless" });
}
