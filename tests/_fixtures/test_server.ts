/**
 * The example server plus tools that exercise server-to-host requests, logging, cancellation and
 * stream cuts, served by the SDK's real Streamable HTTP transport.
 *
 * @module
 */

import type { EventId, EventStore, McpServer, StreamId } from "@modelcontextprotocol/server";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { z } from "zod";
import {
  createExampleServer,
  type RunningServer,
  serveExample,
  type ServeOptions,
} from "../../src/demo/example_server.ts";

/** What the test server observed. */
export interface Observations {
  /** Every HTTP request: method, session id header, protocol version header. */
  requests: {
    method: string;
    session: string | null;
    version: string | null;
    lastEventId: string | null;
    at: number;
    /** The JSON-RPC method of a POST. */
    rpc: string | undefined;
  }[];
  /** When the `cut` tool closed its stream (performance.now()). */
  cutAt: number[];
  /** Responses to GET requests, by status. */
  getStatuses: number[];
  /** Requests whose handler saw its cancellation signal. */
  cancelled: string[];
  /** The resource URIs the client is subscribed to now (per server instance, i.e. per session). */
  subscribed: Set<string>;
  /** Every `resources/subscribe` the server received, in order. */
  subscribeCalls: string[];
}

/** A store of SSE events so that the SDK transport supports resumption (kept in memory). */
export class MemoryEventStore implements EventStore {
  #events: { id: EventId; stream: StreamId; message: JSONRPCMessage }[] = [];
  #seq = 0;
  /** Stores an event. */
  storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const id = `${streamId}_${++this.#seq}`;
    this.#events.push({ id, stream: streamId, message });
    return Promise.resolve(id);
  }
  /** The stream an event belongs to. */
  getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return Promise.resolve(this.#events.find((e) => e.id === eventId)?.stream);
  }
  /** Replays what came after an event on its stream. */
  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const index = this.#events.findIndex((e) => e.id === lastEventId);
    const stream = this.#events[index]?.stream ?? "";
    for (const event of this.#events.slice(index + 1)) {
      if (event.stream === stream) await send(event.id, event.message);
    }
    return stream;
  }
}

/**
 * The JSON-RPC method of a request body, `undefined` when it has none (a response, a batch, not JSON).
 *
 * @param body The body text.
 * @returns The method.
 */
export function rpcMethodOf(body: string): string | undefined {
  try {
    const method = JSON.parse(body)?.method;
    return typeof method === "string" ? method : undefined;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Builds the test server: the example server plus `ask_sampling`, `ask_elicitation`, `ask_roots`,
 * `log`, `slow` and `cut`, resource subscriptions (`resources/subscribe`, and `touch`, which announces an
 * update of a resource), and `add_tool`, which adds a tool (the server announces `list_changed`).
 */
export function createTestServer(seen: Observations): McpServer {
  const server = createExampleServer();
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  const subscribed = new Set<string>();
  seen.subscribed = subscribed;
  server.server.setRequestHandler("resources/subscribe", (request) => {
    subscribed.add(request.params.uri);
    seen.subscribeCalls.push(request.params.uri);
    return {};
  });
  server.server.setRequestHandler("resources/unsubscribe", (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
  server.registerTool("touch", {
    description: "Announces that a resource changed (to subscribers)",
    inputSchema: z.object({ uri: z.string() }),
  }, async ({ uri }) => {
    if (subscribed.has(uri)) await server.server.sendResourceUpdated({ uri });
    return { content: [{ type: "text", text: subscribed.has(uri) ? "announced" : "no subscriber" }] };
  });
  let added = 0;
  server.registerTool("add_tool", {
    description: "Adds a tool named added_<n> (the server announces tools/list_changed)",
    inputSchema: z.object({}),
  }, () => {
    const name = `added_${++added}`;
    server.registerTool(name, { description: "Added at run time", inputSchema: z.object({}) }, () => ({
      content: [{ type: "text", text: name }],
    }));
    return { content: [{ type: "text", text: name }] };
  });
  server.registerTool(
    "ask_sampling",
    { description: "Asks the host's model", inputSchema: z.object({}) },
    async (_a, ctx) => {
      const result = await ctx.mcpReq.requestSampling({
        messages: [{ role: "user", content: { type: "text", text: "What is 2+2?" } }],
        maxTokens: 10,
      });
      return { content: [{ type: "text", text: `model said: ${JSON.stringify(result.content)}` }] };
    },
  );
  server.registerTool(
    "ask_elicitation",
    { description: "Asks the user", inputSchema: z.object({}) },
    async (_a, ctx) => {
      const result = await ctx.mcpReq.elicitInput({
        mode: "form",
        message: "Your name?",
        requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
      });
      return {
        content: [{ type: "text", text: `${result.action}: ${JSON.stringify(result.content ?? {})}` }],
      };
    },
  );
  server.registerTool(
    "ask_roots",
    { description: "Lists the host's roots", inputSchema: z.object({}) },
    async (_a, ctx) => {
      const result = await ctx.mcpReq.send({ method: "roots/list" });
      return { content: [{ type: "text", text: JSON.stringify(result) }] };
    },
  );
  server.registerTool("log", {
    description: "Logs messages",
    inputSchema: z.object({ count: z.number() }),
  }, async ({ count }, ctx) => {
    for (let i = 0; i < count; i++) await ctx.mcpReq.log("info", `line ${i}`, "test");
    await delay(20);
    return { content: [{ type: "text", text: "logged" }] };
  });
  server.registerTool("slow", {
    description: "Waits until cancelled or for ms milliseconds",
    inputSchema: z.object({ ms: z.number() }),
  }, async ({ ms }, ctx) => {
    const signal = ctx.mcpReq.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        seen.cancelled.push(String(ctx.mcpReq.id));
        resolve();
      }, { once: true });
    });
    return { content: [{ type: "text", text: signal.aborted ? "cancelled" : `waited ${ms}` }] };
  });
  server.registerTool("cut", {
    description: "Sends progress, closes its SSE stream (the client must resume), then answers",
    inputSchema: z.object({}),
  }, async (_a, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken ?? "cut";
    await ctx.mcpReq.notify({
      method: "notifications/progress",
      params: { progressToken: token, progress: 1 },
    });
    ctx.http?.closeSSE?.();
    const cutAt = performance.now();
    seen.cutAt.push(cutAt);
    // Progress 2 goes out on the resumed stream, well apart from the result: the SDK client drops a
    // progress notification that reaches it in the same read as the response it belongs to.
    for (let i = 0; i < 500 && !seen.requests.some((r) => r.lastEventId && r.at > cutAt); i++) {
      await delay(10);
    }
    await delay(100);
    await ctx.mcpReq.notify({
      method: "notifications/progress",
      params: { progressToken: token, progress: 2 },
    });
    await delay(200);
    return { content: [{ type: "text", text: "survived the cut" }] };
  });
  return server;
}

/** A running test server with what it observed. */
export type TestServer = RunningServer & { seen: Observations };

/**
 * Serves the test server and records what it sees.
 *
 * @param options Serve options (mode, event store, retry).
 * @returns The running server and its observations.
 */
export async function serveTestServer(
  options: ServeOptions = {},
): Promise<TestServer> {
  const seen: Observations = {
    requests: [],
    getStatuses: [],
    cancelled: [],
    cutAt: [],
    subscribed: new Set(),
    subscribeCalls: [],
  };
  const running = await serveExample({
    ...options,
    create: () => createTestServer(seen),
    intercept: async (request) => {
      seen.requests.push({
        method: request.method,
        session: request.headers.get("mcp-session-id"),
        version: request.headers.get("mcp-protocol-version"),
        lastEventId: request.headers.get("last-event-id"),
        at: performance.now(),
        rpc: request.method === "POST" ? rpcMethodOf(await request.clone().text()) : undefined,
      });
      return await options.intercept?.(request);
    },
  });
  return { ...running, seen };
}
